"""Who hears that a declaration campaign opened, from a member snapshot (members.member.registered/updated.v1).

Named once: workforce e-mails these addresses, identity leaves them out of its mail to administrators so nobody
receives the opening twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Contact kinds of the members service whose holders enter the headcount declaration.
DECLARATION_CONTACT_KINDS = ("responsable_rh", "dirigeant", "responsable_etablissement")
EMAIL_MAX = 254


def normalised_email(email: object) -> str | None:
    """One spelling per mailbox (the domain and, in practice, the local part are case-insensitive)."""
    text = str(email or "").strip().lower()
    return text[:EMAIL_MAX] or None


def declaration_recipients(snapshot: Mapping[str, Any]) -> list[str]:
    """Every declaration contact's address, each once, in the order of DECLARATION_CONTACT_KINDS; when none has one,
    the company's general address, else its billing address, so a company without contacts still hears of it."""
    recipients: list[str] = []
    contacts = snapshot.get("contacts") or []
    for kind in DECLARATION_CONTACT_KINDS:
        for contact in contacts:
            email = normalised_email(contact.get("email")) if contact.get("kind") == kind else None
            if email and email not in recipients:
                recipients.append(email)
    if not recipients:
        fallback = normalised_email(snapshot.get("email")) or normalised_email(snapshot.get("billing_email"))
        recipients = [fallback] if fallback else []
    return recipients
