"""Reading what the forgotten-password flow needs: the addresses of an account, whether a link is still valid."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.service import Portal

from ..accounts.queries import find_user
from ..login.rules import looks_like_member_number
from ..models import MemberDirectoryEntry, MemberLink, OneTimeLink, User
from .rules import ANSWER_FLOOR_S, Choice, LinkPurpose, ResetAddress, choices, decoys, token_hash


def _member_of(db: DbSession, user: User, identifier: str) -> MemberDirectoryEntry | None:
    number = identifier if looks_like_member_number(identifier) else user.login_member_number
    if number:
        return db.scalar(select(MemberDirectoryEntry).where(MemberDirectoryEntry.member_number == number))
    linked = db.scalars(select(MemberLink.member_id).where(MemberLink.user_id == user.id)).all()
    return db.get(MemberDirectoryEntry, linked[0]) if len(linked) == 1 else None


def addresses(db: DbSession, user: User, identifier: str) -> dict[ResetAddress, str]:
    """The account's address, and its company's manager and HR contacts when known."""
    member = _member_of(db, user, identifier)
    found = {ResetAddress.ACCOUNT: user.email}
    if member is not None:
        found |= {
            kind: email
            for kind, email in ((ResetAddress.MANAGER, member.manager_email), (ResetAddress.HR, member.hr_email))
            if email
        }
    return found


def reset_choices(portal: Portal, identifier: str) -> list[Choice]:
    """The masked addresses offered; decoys for an unknown identifier.

    An account's addresses take more queries than the decoys: the answer is held to the same floor as the link's
    sending, so that its duration tells nothing (docs/security.md AUTH-30)."""
    started = time.monotonic()
    with portal.db.session_factory() as db:
        user = find_user(db, identifier)
        found = (
            addresses(db, user, identifier)
            if user is not None and user.is_active
            else decoys(portal.settings.internal_key, identifier)
        )
    offered = choices(found, identifier)
    time.sleep(max(0.0, ANSWER_FLOOR_S - (time.monotonic() - started)))
    return offered


def valid_link(db: DbSession, token: str, purpose: LinkPurpose, *, lock: bool = False) -> OneTimeLink | None:
    stmt = select(OneTimeLink).where(OneTimeLink.token_hash == token_hash(token), OneTimeLink.purpose == purpose)
    link = db.scalar(stmt.with_for_update() if lock else stmt)
    if link is None or link.used_at is not None or clock.utcnow() >= link.expires_at:
        return None
    return link


def link_is_valid(portal: Portal, token: str, purpose: LinkPurpose) -> bool:
    with portal.db.session_factory() as db:
        return valid_link(db, token, purpose) is not None
