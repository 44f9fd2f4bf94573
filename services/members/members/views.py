"""Read side: how members are shown, from the request-bound session."""
from __future__ import annotations

from sqlalchemy import or_, select

from portal_common.service import portal

from .models import Member


def member_as_dict(member: Member) -> dict:
    return {
        "id": member.id, "member_number": member.member_number, "name": member.name, "siret": member.siret,
        "siren": member.siret[:9], "naf_code": member.naf_code, "status": member.status,
        "address": {"line1": member.address_line1, "line2": member.address_line2,
                    "postal_code": member.postal_code, "city": member.city},
        "email": member.email, "phone": member.phone, "billing_email": member.billing_email,
        "adhesion_date": member.adhesion_date, "employees_followed": member.employees_followed,
    }


def get_member(member_id: str) -> Member | None:
    return portal().db.session.get(Member, member_id)


def list_members(query: str | None = None) -> list[Member]:
    stmt = select(Member).order_by(Member.member_number)
    if query:
        like = f"%{query.strip()}%"
        stmt = stmt.where(or_(Member.name.ilike(like), Member.member_number.like(like), Member.siret.like(like)))
    return list(portal().db.session.scalars(stmt.limit(500)))
