"""Signing in with a password: the one place a password is checked, under the per-account lockout rules
(docs/security.md AUTH-20), and the housekeeping of the failed-login counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.service import Portal

from ..accounts.queries import find_user, initial_member
from ..models import LoginThrottle, User
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from . import mails
from .passwords import hash_password, needs_rehash, verify_password
from .rules import Check, LockoutPolicy, ThrottleState, throttle_key

POLICY = LockoutPolicy()


@dataclass(frozen=True)
class LoginResult:
    """`user` on success; otherwise `throttled` tells a refused-without-checking attempt from a wrong one."""

    user: User | None = None
    member_id: str | None = None
    throttled: bool = False


def authenticate(portal: Portal, identifier: str, password: str, client: Client) -> LoginResult:
    """Member number or e-mail + password; the same work and answer whatever fails, per-account lockout."""
    identifier = identifier.strip()
    with portal.uow() as tx:
        user = find_user(tx.session, identifier)
        checked = check_password(tx, portal, user, identifier, password, client)
        tx.commit()
    if checked is not Check.OK:
        return LoginResult(throttled=checked is Check.THROTTLED)
    return LoginResult(user=user, member_id=initial_member(portal, user, identifier))


def check_password(
    tx: UnitOfWork,
    portal: Portal,
    user: User | None,
    identifier: str,
    password: str,
    client: Client,
    *,
    kind: LogKind = LogKind.LOGIN,
) -> Check:
    """The one place a password is verified, in the caller's transaction: same work for unknown accounts, counted
    per account."""
    now = clock.utcnow()
    user_id = user.id if user is not None else None
    row = locked_row(tx.session, throttle_key(user_id, identifier), now)
    if not POLICY.may_try(state_of(row), now):
        record(tx.session, kind, LogOutcome.REFUSED, client, user_id=user_id)
        return Check.THROTTLED
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.is_active:
        tx.session.delete(row)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        record(tx.session, kind, LogOutcome.SUCCESS, client, user_id=user_id)
        return Check.OK
    count_failure(tx, portal, row, user, kind, client, now)
    return Check.WRONG


def count_failure(
    tx: UnitOfWork, portal: Portal, row: LoginThrottle, user: User | None, kind: LogKind, client: Client, now: datetime
) -> None:
    """A wrong password or second factor: the counter grows; a lock is logged and told to the account's owner."""
    state, locked = POLICY.after_failure(state_of(row), now)
    store(row, state, now)
    user_id = user.id if user is not None else None
    record(tx.session, kind, LogOutcome.FAILURE, client, user_id=user_id)
    if locked and user is not None:
        record(tx.session, LogKind.LOCKOUT, LogOutcome.SUCCESS, client, user_id=user_id)
        tx.mail(
            mails.account_locked(
                user.email,
                public_url=portal.settings.public_url,
                until=state.blocked_until,
                key=f"locked:{user.id}:{now.isoformat()}",
            )
        )


# --- the failed-login counters, stored and locked row by row ------------------------------------------------


def locked_row(session: Session, key: str, now: datetime) -> LoginThrottle:
    """The counter row, locked until the caller's commit: parallel guesses on one account queue up."""
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(LoginThrottle(key=key, consecutive_failures=0, window_failures=0, updated_at=now))
        except IntegrityError:  # a parallel attempt created it first
            pass
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    return row


def state_of(row: LoginThrottle) -> ThrottleState:
    return ThrottleState(row.consecutive_failures, row.window_started_at, row.window_failures, row.blocked_until)


def store(row: LoginThrottle, state: ThrottleState, now: datetime) -> None:
    row.consecutive_failures, row.window_started_at = state.consecutive_failures, state.window_started_at
    row.window_failures, row.blocked_until, row.updated_at = state.window_failures, state.blocked_until, now


def clear(session: Session, user_id: str) -> None:
    """After a successful login or a password reset: the account starts afresh."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == throttle_key(user_id)))


def purge_throttle(portal: Portal) -> int:
    """Delete the counters whose windows, locks and delays are all over; returns how many went."""
    cutoff = POLICY.forget_before(clock.utcnow())
    with portal.uow() as tx:
        result = tx.session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.updated_at < cutoff,
                or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < cutoff),
            )
        )
        tx.commit()
    return result.rowcount or 0
