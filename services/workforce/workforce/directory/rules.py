"""Who receives a company's declaration campaign e-mail, from the member snapshot of the members service."""

from __future__ import annotations

from typing import Any

# Contact kinds of the members service, in the order they receive the e-mail; the billing address when none has one.
DECLARATION_CONTACT_KINDS = ("responsable_rh", "dirigeant", "responsable_etablissement")
EMAIL_MAX = 254


def declaration_email(data: dict[str, Any]) -> str | None:
    """From a member snapshot (members.member.registered/updated.v1)."""
    contacts = [c for c in data.get("contacts") or [] if c.get("email")]
    for kind in DECLARATION_CONTACT_KINDS:
        for contact in contacts:
            if contact["kind"] == kind:
                return str(contact["email"])[:EMAIL_MAX]
    billing_email = data.get("billing_email")
    return str(billing_email)[:EMAIL_MAX] if billing_email else None
