"""A company's documents space: produced by the other services, or deposited by the company."""
