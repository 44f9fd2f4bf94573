"""Payments: transfers and cheques staff record, card payments through the provider, the company's statement."""
