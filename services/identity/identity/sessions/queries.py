"""Reading sessions: a user's live ones, a login still waiting for its second factor."""

from __future__ import annotations

from sqlalchemy import select

from portal_common import clock
from portal_common.service import Portal

from ..mfa.rules import Stage
from ..models import Session, User
from .rules import hash_token, policy


def live_sessions(portal: Portal, user_id: str) -> list[Session]:
    """The user's sessions still usable now, newest first."""
    now = clock.utcnow()
    with portal.db.session_factory() as db:
        user = db.get(User, user_id)
        rows = db.scalars(
            select(Session)
            .where(
                Session.user_id == user_id,
                Session.revoked_at.is_(None),
                Session.expires_at > now,
                Session.stage == Stage.FULL,
            )
            .order_by(Session.last_seen_at.desc())
        ).all()
    if user is None:
        return []
    rule = policy(portal.settings)
    return [
        row
        for row in rows
        if rule.is_alive(
            now=now,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            is_staff=bool(user.staff_role_set),
            revoked=False,
        )
    ]


def pending(portal: Portal, token: str | None) -> tuple[Session, User] | None:
    """The login of this browser still waiting for its second factor (or its enrolment), if any."""
    if not token:
        return None
    now = clock.utcnow()
    with portal.db.session_factory() as db:
        found = db.execute(
            select(Session, User).join(User, User.id == Session.user_id).where(Session.token_hash == hash_token(token))
        ).first()
        if found is None:
            return None
        session, user = found
        if (
            session.stage == Stage.FULL
            or session.revoked_at is not None
            or now >= session.expires_at
            or not user.is_active
        ):
            return None
        db.expunge_all()
        return session, user
