"""Looking accounts up: by identifier, by id, their companies."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from portal_common.service import Portal

from ..login.rules import looks_like_member_number
from ..models import MemberDirectoryEntry, MemberLink, User


def find_user(db: DbSession, identifier: str) -> User | None:
    if looks_like_member_number(identifier):
        return db.scalar(select(User).where(User.login_member_number == identifier))
    return db.scalar(select(User).where(func.lower(User.email) == identifier.lower()))


def initial_member(portal: Portal, user: User, identifier: str) -> str | None:
    """The company a fresh login lands on: the one whose number was typed, or the user's only one."""
    with portal.db.session_factory() as db:
        if looks_like_member_number(identifier):
            entry = db.scalar(select(MemberDirectoryEntry).where(MemberDirectoryEntry.member_number == identifier))
            if entry and db.get(MemberLink, (user.id, entry.member_id)):
                return entry.member_id
        links = db.scalars(select(MemberLink.member_id).where(MemberLink.user_id == user.id)).all()
        return links[0] if len(links) == 1 else None


def get_user(portal: Portal, user_id: str) -> User | None:
    with portal.db.session_factory() as db:
        user = db.get(User, user_id)
        if user is not None:
            db.expunge(user)
        return user


def may_act_for(portal: Portal, user: User, member_id: str) -> bool:
    with portal.db.session_factory() as db:
        if user.staff_role_set:
            return db.get(MemberDirectoryEntry, member_id) is not None
        return db.get(MemberLink, (user.id, member_id)) is not None


def linked_members(db: DbSession, user: User) -> list[tuple[MemberLink, MemberDirectoryEntry | None]]:
    rows = db.execute(
        select(MemberLink, MemberDirectoryEntry)
        .outerjoin(MemberDirectoryEntry, MemberDirectoryEntry.member_id == MemberLink.member_id)
        .where(MemberLink.user_id == user.id)
        .order_by(MemberDirectoryEntry.name)
    ).all()
    return [(link, entry) for link, entry in rows]
