"""Where a company's convocations go: the e-mail recipient and the postal address, free of Flask and SQLAlchemy.

Members tells us the company's convocation contact (members.member.updated.v1 snapshot and
members.contact.changed.v1) and its "adresse de convocation" (members.address.changed.v1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

CONVOCATION_CONTACT_KIND = "contact_convocation"
CONVOCATION_ADDRESS_KIND = "convocation"
# The `action` of members.contact.changed.v1 and members.address.changed.v1 that drops the contact or address.
REMOVED_ACTION = "removed"


@dataclass(frozen=True)
class Recipient:
    email: str
    # The convocation contact's name, None when the mail goes to the company's general address.
    name: str | None = None


def convocation_recipient(
    *, convocation_email: str | None, convocation_contact: str | None, company_email: str | None
) -> Recipient | None:
    """The convocation contact when it has an e-mail, else the company's e-mail, else nobody (PDF only)."""
    if convocation_email:
        return Recipient(convocation_email, convocation_contact)
    if company_email:
        return Recipient(company_email)
    return None


def snapshot_contact(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(e-mail, name) of the convocation contact in a members.member.updated.v1 snapshot.

    The snapshot's `convocation_email` is authoritative; the name is the first convocation contact with it.
    """
    contacts = [c for c in data.get("contacts") or [] if c.get("kind") == CONVOCATION_CONTACT_KIND]
    email = data.get("convocation_email") or next((c["email"] for c in contacts if c.get("email")), None)
    if email is None:
        return None, None
    return email, next((c["name"] for c in contacts if c.get("email") == email), None)


def contact_change(data: dict[str, Any], *, current_email: str | None) -> tuple[str | None, str | None] | None:
    """The new (e-mail, name) after a members.contact.changed.v1, or None when it changes nothing here.

    A convocation contact created or given an e-mail becomes the recipient; removing the one that was the
    recipient falls back to the company's e-mail. Members' snapshot of the same version, which follows, settles
    the case of several convocation contacts.
    """
    if data["kind"] != CONVOCATION_CONTACT_KIND:
        return None
    email = data.get("email")
    if data["action"] == REMOVED_ACTION:
        return (None, None) if current_email and email == current_email else None
    if not email:
        return None
    return email, data["name"]


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    line2: str | None
    postal_code: str
    city: str
    valid_from: date | None = None
    valid_to: date | None = None

    def lines(self) -> list[str]:
        return [line for line in (self.line1, self.line2, f"{self.postal_code} {self.city}") if line]


def is_valid_on(address: PostalAddress, day: date) -> bool:
    return (address.valid_from is None or address.valid_from <= day) and (
        address.valid_to is None or day <= address.valid_to
    )


def current_address(addresses: Iterable[PostalAddress], day: date) -> PostalAddress | None:
    """The convocation address in force on `day`: the one that started last among those valid that day."""
    valid = [a for a in addresses if is_valid_on(a, day)]
    return max(valid, key=lambda a: a.valid_from or date.min, default=None)
