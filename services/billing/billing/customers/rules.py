"""What billing keeps of a member company: its snapshot, its SEPA mandate's status, the events' shapes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from portal_common.vocabulary import MemberStatus


class MandateStatus(StrEnum):
    """A company's SEPA mandate as members announce it (the stored value)."""

    ACTIVE = "active"
    REVOKED = "revoked"


# The members aggregate's status of a company still followed (members' vocabulary, stored as received).
ACTIVE_MEMBER = MemberStatus.ACTIVE


class CustomerNotYetKnown(Exception):
    """The company's registration has not reached billing yet: the consumer retries the event later."""


@dataclass(frozen=True)
class CustomerSnapshot:
    """A member company as billing needs it, at one version of the members aggregate."""

    member_id: str
    member_number: str
    name: str
    siret: str
    address_line1: str
    address_line2: str | None
    postal_code: str
    city: str
    billing_email: str | None
    status: str
    version: int

    def fields(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "member_id"}


def snapshot_from_member_event(data: dict[str, Any]) -> CustomerSnapshot:
    """members.member.registered.v1 and members.member.updated.v1 carry the whole company."""
    address = data["address"]
    return CustomerSnapshot(
        member_id=data["member_id"],
        member_number=data["member_number"],
        name=data["name"],
        siret=data["siret"],
        address_line1=address["line1"],
        address_line2=address.get("line2"),
        postal_code=address["postal_code"],
        city=address["city"],
        billing_email=data.get("billing_email"),
        status=data["status"],
        version=data["version"],
    )
