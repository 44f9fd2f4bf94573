"""Billing service: invoices and credit notes of member companies, numbered without gaps."""
