"""SEPA direct debit: pre-notified debits, the pain.008 file, and debits lowered when less is owed."""
