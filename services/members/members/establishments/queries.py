"""The companies related to the current one: same SIREN, or linked to the user by identity."""

from __future__ import annotations

from sqlalchemy import select

from portal_common.service import portal

from ..models import Member


def same_siren(member: Member) -> list[Member]:
    """The other establishments of the same company (their SIRET starts with the same SIREN)."""
    return list(
        portal().db.session.scalars(
            select(Member)
            .where(Member.siret.like(f"{member.siret[:9]}%"), Member.id != member.id)
            .order_by(Member.member_number)
            .limit(500)
        )
    )


def members_by_id(ids: list[str]) -> list[Member]:
    if not ids:
        return []
    return list(portal().db.session.scalars(select(Member).where(Member.id.in_(ids[:500]))))
