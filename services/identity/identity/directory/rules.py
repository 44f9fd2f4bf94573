"""The member directory identity keeps from members' events: the companies' statuses and reset contacts."""

from __future__ import annotations

from enum import StrEnum


class MemberStatus(StrEnum):
    """A member company's status, as members publishes it."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


MEMBER_STATUS_LABELS: dict[MemberStatus, str] = {
    MemberStatus.ACTIVE: "Actif",
    MemberStatus.SUSPENDED: "Suspendu",
    MemberStatus.CLOSED: "Radié",
}

# Contacts that may receive a password-reset link for the company's accounts: the event's contact kind → column.
RESET_CONTACTS = {"dirigeant": "manager_email", "responsable_rh": "hr_email"}
