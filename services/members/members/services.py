"""Use cases of the members service: the only place that commits."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from portal_common.clock import utcnow
from portal_common.service import Portal

from . import events
from .domain import Registration, check_registration, next_member_number
from .models import Member


def registered_event(member: Member) -> dict:
    return {
        "member_id": member.id, "member_number": member.member_number, "name": member.name,
        "siret": member.siret, "naf_code": member.naf_code, "status": member.status,
        "address": {"line1": member.address_line1, "line2": member.address_line2,
                    "postal_code": member.postal_code, "city": member.city},
        "billing_email": member.billing_email, "version": member.version,
    }


def register_member(portal: Portal, registration: Registration, *, member_id: str | None = None,
                    member_number: str | None = None) -> Member:
    """Staff register a member company; everyone else learns it from the event."""
    with portal.uow() as tx:
        taken = tx.session.scalar(select(Member.id).where(Member.siret == registration.siret.replace(" ", "")))
        reg = check_registration(registration, siret_taken=taken is not None)
        if member_number is None:
            # Serialised by the unique constraint: a concurrent registration retries.
            member_number = next_member_number(tx.session.scalar(select(func.max(Member.member_number))))
        member = Member(
            id=member_id or str(uuid.uuid4()), member_number=member_number, name=reg.name, siret=reg.siret,
            naf_code=reg.naf_code, status="active", address_line1=reg.address_line1,
            address_line2=reg.address_line2, postal_code=reg.postal_code, city=reg.city, email=reg.email,
            phone=reg.phone, billing_email=reg.billing_email, adhesion_date=reg.adhesion_date,
            employees_followed=0, version=1, created_at=utcnow(),
        )
        tx.session.add(member)
        tx.session.flush()
        tx.record(events.MEMBER_REGISTERED, subject=member.id, member_id=member.id, data=registered_event(member))
        tx.commit()
        return member
