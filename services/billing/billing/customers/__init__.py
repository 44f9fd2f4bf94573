"""Customers: billing's read model of the member companies, kept from members' events."""
