"""A company's typed addresses and contacts."""
