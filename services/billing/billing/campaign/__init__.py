"""The declaration campaign: estimated invoices when it closes, and the staff dashboard following it."""
