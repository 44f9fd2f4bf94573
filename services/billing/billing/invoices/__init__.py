"""Invoices: issuing them (by staff or from other services' facts), their numbers, PDF and Factur-X files."""
