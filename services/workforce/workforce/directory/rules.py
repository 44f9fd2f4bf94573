"""Who receives a company's declaration campaign e-mail, from the member snapshot of the members service."""
from __future__ import annotations

# Contact kinds of the members service, in the order they receive the e-mail; the billing address when none has one.
DECLARATION_CONTACT_KINDS = ("responsable_rh", "dirigeant", "responsable_etablissement")
EMAIL_MAX = 254


def declaration_email(data: dict) -> str | None:
    contacts = [c for c in data.get("contacts") or [] if c.get("email")]
    for kind in DECLARATION_CONTACT_KINDS:
        for contact in contacts:
            if contact["kind"] == kind:
                return contact["email"][:EMAIL_MAX]
    return (data.get("billing_email") or None) and data["billing_email"][:EMAIL_MAX]
