"""The member directory identity keeps from members' events: the companies' statuses and reset contacts."""

from __future__ import annotations

# Contacts that may receive a password-reset link for the company's accounts: the event's contact kind → column.
RESET_CONTACTS = {"dirigeant": "manager_email", "responsable_rh": "hr_email"}
