"""Passwords of an account: checking one under the lockout rules, choosing and changing one."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.service import Portal

from . import lockout, mails, security_log, sessions
from .models import MemberDirectoryEntry, MemberLink, OneTimeLink, Session, TotpFactor, User
from .passwords import hash_password, needs_rehash, password_problem_for, verify_password
from .security_log import Client


class Check(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"  # refused without checking: the account waits after too many failures


def check_password(tx: UnitOfWork, portal: Portal, user: User | None, identifier: str, password: str,
                   client: Client, *, kind: str = "login") -> Check:
    """The one place a password is verified: same work for unknown accounts, counted per account."""
    now = clock.utcnow()
    user_id = user.id if user is not None else None
    row = lockout.locked_row(tx.session, lockout.throttle_key(user_id, identifier), now)
    if not lockout.POLICY.may_try(lockout.state_of(row), now):
        security_log.record(tx.session, kind, "refused", client, user_id=user_id)
        return Check.THROTTLED
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.is_active:
        tx.session.delete(row)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        security_log.record(tx.session, kind, "success", client, user_id=user_id)
        return Check.OK
    state, locked = lockout.POLICY.after_failure(lockout.state_of(row), now)
    lockout.store(row, state, now)
    security_log.record(tx.session, kind, "failure", client, user_id=user_id)
    if locked and user is not None:
        security_log.record(tx.session, "lockout", "success", client, user_id=user_id)
        tx.mail(mails.account_locked(user.email, public_url=portal.settings.public_url, until=state.blocked_until,
                                     key=f"locked:{user.id}:{now.isoformat()}"))
    return Check.WRONG


def problem_for(db: DbSession, user: User, password: str, extra_member_ids: tuple[str, ...] = ()) -> str | None:
    """The password rules with this account's context words (its companies' numbers and names, its e-mail)."""
    member_ids = set(db.scalars(select(MemberLink.member_id).where(MemberLink.user_id == user.id))) | set(
        extra_member_ids)
    entries = db.scalars(select(MemberDirectoryEntry).where(MemberDirectoryEntry.member_id.in_(member_ids))).all()
    numbers = [e.member_number for e in entries] + ([user.login_member_number] if user.login_member_number else [])
    mfa = db.get(TotpFactor, user.id)
    return password_problem_for(password, member_numbers=numbers, company_names=[e.name for e in entries],
                                emails=[user.email], with_mfa=mfa is not None and mfa.confirmed_at is not None)


def set_password(tx: UnitOfWork, portal: Portal, user: User, password: str, client: Client, *, kind: str) -> None:
    """Store a new password: outstanding reset links die, the throttle is cleared, the user is told by e-mail."""
    now = clock.utcnow()
    user.password_hash = hash_password(password)
    tx.session.execute(update(OneTimeLink).where(OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None))
                       .values(used_at=now))
    lockout.clear(tx.session, user.id)
    security_log.record(tx.session, kind, "success", client, user_id=user.id)
    tx.mail(mails.password_changed(user.email, public_url=portal.settings.public_url,
                                   key=f"password:{user.id}:{now.isoformat()}"))


@dataclass
class Change:
    errors: dict[str, str] = field(default_factory=dict)
    opened: sessions.Opened | None = None


def change_password(portal: Portal, user_id: str, *, current: str, new: str, confirmation: str, end_others: bool,
                    session_token: str | None, client: Client) -> Change:
    """Requires the current password; the session gets a new id (privilege change), others may end."""
    with portal.uow() as tx:
        user = tx.session.get(User, user_id)
        if user is None:
            return Change(errors={"current_password": "Compte introuvable."})
        checked = check_password(tx, portal, user, "", current, client, kind="password_change")
        if checked is not Check.OK:
            tx.commit()  # the failure counts towards the lockout
            message = ("Trop de tentatives : réessayez dans quelques minutes." if checked is Check.THROTTLED
                       else "Mot de passe actuel incorrect.")
            return Change(errors={"current_password": message})
        problem = problem_for(tx.session, user, new)
        if problem is None and new != confirmation:
            return Change(errors={"confirmation": "Les deux saisies du nouveau mot de passe sont différentes."})
        if problem is not None:
            return Change(errors={"new_password": problem})
        set_password(tx, portal, user, new, client, kind="password_change")
        current_session = tx.session.scalar(select(Session).where(
            Session.token_hash == sessions.hash_token(session_token or "")))
        opened = sessions.start(tx.session, portal, user.id, user_agent=client.user_agent, replaces=session_token,
                                member_id=current_session.current_member_id if current_session else None)
        if end_others:
            sessions.end_sessions(tx.session, user.id, keep=opened.session_id)
        tx.commit()
        return Change(opened=opened)
