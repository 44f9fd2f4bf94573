"""Accounts: creation, links to member companies, and the password of an account (choosing, changing it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.service import Portal

from ..login import use_cases as login
from ..login.passwords import hash_password, password_problem_for
from ..login.rules import Check
from ..models import MemberDirectoryEntry, MemberLink, OneTimeLink, Session, TotpFactor, User
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from ..sessions import use_cases as sessions
from ..sessions.rules import hash_token
from ..team.rules import LinkKind
from . import mails


def create_user(
    portal: Portal,
    *,
    email: str,
    display_name: str,
    password: str,
    user_id: str | None = None,
    login_member_number: str | None = None,
    staff_roles: tuple[str, ...] = (),
) -> User:
    with portal.uow() as tx:
        user = User(
            id=user_id or str(uuid.uuid4()),
            email=email.strip().lower(),
            display_name=display_name,
            login_member_number=login_member_number,
            password_hash=hash_password(password),
            staff_roles=",".join(sorted(staff_roles)),
            is_active=True,
            created_at=clock.utcnow(),
            activated_at=clock.utcnow(),
        )
        tx.session.add(user)
        tx.commit()
        return user


def link_member(
    portal: Portal, *, user_id: str, member_id: str, roles: tuple[str, ...], kind: LinkKind = LinkKind.MEMBER
) -> None:
    with portal.uow() as tx:
        if tx.session.get(MemberLink, (user_id, member_id)) is None:
            tx.session.add(
                MemberLink(
                    user_id=user_id,
                    member_id=member_id,
                    roles=",".join(sorted(roles)),
                    kind=kind,
                    created_at=clock.utcnow(),
                )
            )
            if kind == LinkKind.DELEGATE:
                # Imported here: firms' use cases build on team's, which build on this module.
                from ..firms.use_cases import ensure_firm

                ensure_firm(tx, tx.session.get(User, user_id))
            tx.commit()


def password_problem(db: DbSession, user: User, password: str, extra_member_ids: tuple[str, ...] = ()) -> str | None:
    """The password rules with this account's context words (its companies' numbers and names, its e-mail)."""
    member_ids = set(db.scalars(select(MemberLink.member_id).where(MemberLink.user_id == user.id))) | set(
        extra_member_ids
    )
    entries = db.scalars(select(MemberDirectoryEntry).where(MemberDirectoryEntry.member_id.in_(member_ids))).all()
    numbers = [e.member_number for e in entries] + ([user.login_member_number] if user.login_member_number else [])
    mfa = db.get(TotpFactor, user.id)
    return password_problem_for(
        password,
        member_numbers=numbers,
        company_names=[e.name for e in entries],
        emails=[user.email],
        with_mfa=mfa is not None and mfa.confirmed_at is not None,
    )


def set_password(tx: UnitOfWork, portal: Portal, user: User, password: str, client: Client, *, kind: LogKind) -> None:
    """Store a new password: outstanding reset links die, the throttle is cleared, the user is told by e-mail."""
    now = clock.utcnow()
    user.password_hash = hash_password(password)
    tx.session.execute(
        update(OneTimeLink).where(OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None)).values(used_at=now)
    )
    login.clear(tx.session, user.id)
    record(tx.session, kind, LogOutcome.SUCCESS, client, user_id=user.id)
    tx.mail(
        mails.password_changed(
            user.email, public_url=portal.settings.public_url, key=f"password:{user.id}:{now.isoformat()}"
        )
    )


@dataclass
class Change:
    errors: dict[str, str] = field(default_factory=dict)
    opened: sessions.Opened | None = None


def change_password(
    portal: Portal,
    user_id: str,
    *,
    current: str,
    new: str,
    confirmation: str,
    end_others: bool,
    session_token: str | None,
    client: Client,
) -> Change:
    """Requires the current password; the session gets a new id (privilege change), others may end."""
    with portal.uow() as tx:
        user = tx.session.get(User, user_id)
        if user is None:
            return Change(errors={"current_password": "Compte introuvable."})
        checked = login.check_password(tx, portal, user, "", current, client, kind=LogKind.PASSWORD_CHANGE)
        if checked is not Check.OK:
            tx.commit()  # the failure counts towards the lockout
            message = (
                "Trop de tentatives : réessayez dans quelques minutes."
                if checked is Check.THROTTLED
                else "Mot de passe actuel incorrect."
            )
            return Change(errors={"current_password": message})
        problem = password_problem(tx.session, user, new)
        if problem is None and new != confirmation:
            return Change(errors={"confirmation": "Les deux saisies du nouveau mot de passe sont différentes."})
        if problem is not None:
            return Change(errors={"new_password": problem})
        set_password(tx, portal, user, new, client, kind=LogKind.PASSWORD_CHANGE)
        current_session = tx.session.scalar(
            select(Session).where(Session.token_hash == hash_token(session_token or ""))
        )
        opened = sessions.start(
            tx.session,
            portal,
            user.id,
            user_agent=client.user_agent,
            replaces=session_token,
            member_id=current_session.current_member_id if current_session else None,
        )
        if end_others:
            sessions.end_sessions(tx.session, user.id, keep=opened.session_id)
        tx.commit()
        return Change(opened=opened)
