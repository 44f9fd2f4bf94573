"""Reading a company's API tokens for its administrator's page."""

from __future__ import annotations

from sqlalchemy import select

from portal_common.service import Portal

from ..models import ApiToken


def for_member(portal: Portal, member_id: str) -> list[ApiToken]:
    """Live tokens first, newest first."""
    with portal.db.session_factory() as db:
        rows = db.scalars(
            select(ApiToken)
            .where(ApiToken.member_id == member_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        ).all()
        db.expunge_all()
        return list(rows)
