"""Reading what a still valid e-mail-change link would change (for its confirmation page)."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.service import Portal

from ..models import User
from ..recovery.queries import valid_link
from ..recovery.rules import LinkPurpose
from .rules import split_link


@dataclass(frozen=True)
class Pending:
    user: User
    new_email: str


def pending(portal: Portal, link_text: str) -> Pending | None:
    """What a still valid link would change, else None."""
    parts = split_link(portal.settings.email_link_ring, link_text)
    if parts is None:
        return None
    with portal.db.session_factory() as db:
        link = valid_link(db, parts[0], LinkPurpose.EMAIL_CHANGE)
        user = db.get(User, link.user_id) if link is not None else None
        if user is None or not user.is_active:
            return None
        db.expunge(user)
        return Pending(user=user, new_email=parts[1])
