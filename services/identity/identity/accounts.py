"""Accounts: authentication, creation and links to member companies."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.service import Portal

from . import credentials
from .credentials import Check
from .domain import looks_like_member_number
from .models import MemberDirectoryEntry, MemberLink, User
from .passwords import hash_password
from .security_log import Client


@dataclass(frozen=True)
class LoginResult:
    """`user` on success; otherwise `throttled` tells a refused-without-checking attempt from a wrong one."""

    user: User | None = None
    member_id: str | None = None
    throttled: bool = False


def find_user(db: DbSession, identifier: str) -> User | None:
    if looks_like_member_number(identifier):
        return db.scalar(select(User).where(User.login_member_number == identifier))
    return db.scalar(select(User).where(func.lower(User.email) == identifier.lower()))


def authenticate(portal: Portal, identifier: str, password: str, client: Client) -> LoginResult:
    """Member number or e-mail + password; the same work and answer whatever fails, per-account lockout."""
    identifier = identifier.strip()
    with portal.uow() as tx:
        user = find_user(tx.session, identifier)
        checked = credentials.check_password(tx, portal, user, identifier, password, client)
        tx.commit()
    if checked is not Check.OK:
        return LoginResult(throttled=checked is Check.THROTTLED)
    return LoginResult(user=user, member_id=initial_member(portal, user, identifier))


def initial_member(portal: Portal, user: User, identifier: str) -> str | None:
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


def create_user(portal: Portal, *, email: str, display_name: str, password: str, user_id: str | None = None,
                login_member_number: str | None = None, staff_roles: tuple[str, ...] = ()) -> User:
    with portal.uow() as tx:
        user = User(id=user_id or str(uuid.uuid4()), email=email.strip().lower(), display_name=display_name,
                    login_member_number=login_member_number, password_hash=hash_password(password),
                    staff_roles=",".join(sorted(staff_roles)), is_active=True, created_at=clock.utcnow(),
                    activated_at=clock.utcnow())
        tx.session.add(user)
        tx.commit()
        return user


def link_member(portal: Portal, *, user_id: str, member_id: str, roles: tuple[str, ...], kind: str = "member") -> None:
    with portal.uow() as tx:
        if tx.session.get(MemberLink, (user_id, member_id)) is None:
            tx.session.add(MemberLink(user_id=user_id, member_id=member_id, roles=",".join(sorted(roles)),
                                      kind=kind, created_at=clock.utcnow()))
            tx.commit()
