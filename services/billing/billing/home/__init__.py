"""Billing's parts of the home pages: a company's unpaid and overdue invoices with its balance (from the ledger),
staff's campaign invoicing (portal_common.web.home)."""
