"""The values of the company's rows as change requests and events carry them (no commit here)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...addressbook.rules import ContactKind
from ...health_team.rules import CENTRE_FIELDS, centre_address
from ...models import Address, Centre, Contact, HealthTeam, Member
from ..fields import phone_fr
from ..rules import RECORD_FIELDS


def record_values(member: Member) -> dict[str, Any]:
    values = {name: getattr(member, name) for name in RECORD_FIELDS}
    values["adhesion_date"] = member.adhesion_date.isoformat()
    return values


def address_values(address: Address) -> dict[str, Any]:
    return {
        "kind": address.kind,
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "city": address.city,
        "valid_from": address.valid_from.isoformat() if address.valid_from else None,
        "valid_to": address.valid_to.isoformat() if address.valid_to else None,
    }


def contact_values(contact: Contact) -> dict[str, Any]:
    return {
        "kind": contact.kind,
        "name": contact.name,
        "function": contact.function,
        "email": contact.email,
        "phone": contact.phone,
        "mobile": contact.mobile,
    }


def centre_values(centre: Centre) -> dict[str, Any]:
    return {name: getattr(centre, name) for name in CENTRE_FIELDS}


def registered_event(member: Member) -> dict[str, Any]:
    """members.member.registered.v1, also the base of every update snapshot."""
    return {
        "member_id": member.id,
        "member_number": member.member_number,
        "name": member.name,
        "siret": member.siret,
        "naf_code": member.naf_code,
        "status": member.status,
        "address": {
            "line1": member.address_line1,
            "line2": member.address_line2,
            "postal_code": member.postal_code,
            "city": member.city,
        },
        "email": member.email,
        "billing_email": member.billing_email,
        "declarant_code_digest": member.declarant_code_digest,
        "version": member.version,
    }


def health_centre(session: Session, member_id: str) -> dict[str, Any] | None:
    """The assigned centre as scheduling prints it on convocations (phone French style)."""
    team = session.get(HealthTeam, member_id)
    centre = session.get(Centre, team.centre_id) if team is not None and team.centre_id else None
    if centre is None:
        return None
    return {
        "name": centre.name,
        "address": centre_address(centre_values(centre)),
        "phone": phone_fr(centre.phone) or None,
    }


def member_snapshot(session: Session, member: Member) -> dict[str, Any]:
    """members.member.updated.v1: the registered fields, the contacts, the convocation e-mail, the centre."""
    contacts = session.scalars(
        select(Contact).where(Contact.member_id == member.id).order_by(Contact.kind, Contact.name)
    ).all()
    convocation = next((c.email for c in contacts if c.kind == ContactKind.CONVOCATION and c.email), None)
    return {
        **registered_event(member),
        "contacts": [{"kind": c.kind, "name": c.name, "email": c.email} for c in contacts],
        "convocation_email": convocation,
        "health_centre": health_centre(session, member.id),
    }
