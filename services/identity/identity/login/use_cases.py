"""Signing in with a password: the one place a password is checked, under the per-account lockout rules
(docs/security.md AUTH-20) and the per-(account, address) limits (AUTH-21), and the housekeeping of the
login counters."""

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
from .queries import state_of
from .rules import (
    ACCOUNT_POLICY,
    PAIR_POLICY,
    Check,
    ThrottleState,
    pair_key,
    throttle_key,
    wait_seconds,
)

# The per-account policy, also used alone by the company codes of a first account.
POLICY = ACCOUNT_POLICY


@dataclass(frozen=True)
class LoginResult:
    """`user` on success; otherwise `throttled` tells a refused-without-checking attempt from a wrong one, and
    `retry_after` says in how many seconds the next attempt would be evaluated."""

    user: User | None = None
    member_id: str | None = None
    throttled: bool = False
    retry_after: int | None = None


@dataclass(frozen=True)
class Checked:
    """A password or second-factor check; `retry_after` (seconds) when it was refused without checking."""

    check: Check
    retry_after: int | None = None


def authenticate(portal: Portal, identifier: str, password: str, client: Client) -> LoginResult:
    """Member number or e-mail + password; the same work and answer whatever fails, per-account and
    per-(account, address) limits."""
    identifier = identifier.strip()
    with portal.uow() as tx:
        user = find_user(tx.session, identifier)
        checked = evaluate_password(tx, portal, user, identifier, password, client)
        tx.commit()
    if checked.check is not Check.OK:
        return LoginResult(throttled=checked.check is Check.THROTTLED, retry_after=checked.retry_after)
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
    """The one place a password is verified, in the caller's transaction (see `evaluate_password`)."""
    return evaluate_password(tx, portal, user, identifier, password, client, kind=kind).check


def evaluate_password(
    tx: UnitOfWork,
    portal: Portal,
    user: User | None,
    identifier: str,
    password: str,
    client: Client,
    *,
    kind: LogKind = LogKind.LOGIN,
) -> Checked:
    """Same work for unknown accounts; counted per account and per (account, client address)."""
    now = clock.utcnow()
    user_id = user.id if user is not None else None
    counters = open_counters(tx.session, user_id, identifier, client, now)
    if (retry_at := counters.retry_at(now)) is not None:
        record(tx.session, kind, LogOutcome.REFUSED, client, user_id=user_id)
        return Checked(Check.THROTTLED, wait_seconds(retry_at, now))
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.is_active:
        counters.succeeded(now)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        record(tx.session, kind, LogOutcome.SUCCESS, client, user_id=user_id)
        return Checked(Check.OK)
    count_failure(tx, portal, counters, user, kind, client, now)
    return Checked(Check.WRONG)


def count_failure(
    tx: UnitOfWork, portal: Portal, counters: Counters, user: User | None, kind: LogKind, client: Client, now: datetime
) -> None:
    """A wrong password or second factor: the counters grow; an account lock is logged and told to its owner."""
    locked, blocked_until = counters.failed(now)
    user_id = user.id if user is not None else None
    record(tx.session, kind, LogOutcome.FAILURE, client, user_id=user_id)
    if locked and user is not None:
        record(tx.session, LogKind.LOCKOUT, LogOutcome.SUCCESS, client, user_id=user_id)
        tx.mail(
            mails.account_locked(
                user.email,
                public_url=portal.settings.public_url,
                until=blocked_until,
                key=f"locked:{user.id}:{now.isoformat()}",
            )
        )


# --- the login counters, stored and locked row by row -------------------------------------------------------


@dataclass(frozen=True)
class Counters:
    """The account's counter and its (account, address) counter, both locked until the caller's commit."""

    account: LoginThrottle
    pair: LoginThrottle

    def retry_at(self, now: datetime) -> datetime | None:
        waits = [
            at
            for at in (
                ACCOUNT_POLICY.retry_at(state_of(self.account), now),
                PAIR_POLICY.retry_at(state_of(self.pair), now),
            )
            if at is not None
        ]
        return max(waits) if waits else None

    def succeeded(self, now: datetime) -> None:
        store(self.account, ACCOUNT_POLICY.after_success(state_of(self.account), now), now)
        store(self.pair, PAIR_POLICY.after_success(state_of(self.pair), now), now)

    def failed(self, now: datetime) -> tuple[bool, datetime | None]:
        """Whether the account (not only this address) got locked, and until when."""
        state, locked = ACCOUNT_POLICY.after_failure(state_of(self.account), now)
        store(self.account, state, now)
        pair_state, _ = PAIR_POLICY.after_failure(state_of(self.pair), now)
        store(self.pair, pair_state, now)
        return locked, state.blocked_until


def open_counters(session: Session, user_id: str | None, identifier: str, client: Client, now: datetime) -> Counters:
    """Always the account's row first, then the pair's: parallel attempts lock them in the same order."""
    account = locked_row(session, throttle_key(user_id, identifier), now)
    pair = locked_row(session, pair_key(user_id, identifier, client.ip), now, account_key=account.key)
    return Counters(account, pair)


def locked_row(session: Session, key: str, now: datetime, *, account_key: str | None = None) -> LoginThrottle:
    """The counter row, locked until the caller's commit: parallel guesses on one account queue up."""
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    LoginThrottle(
                        key=key,
                        account_key=account_key,
                        consecutive_failures=0,
                        window_failures=0,
                        minute_attempts=0,
                        updated_at=now,
                    )
                )
        except IntegrityError:  # a parallel attempt created it first
            pass
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    return row


def store(row: LoginThrottle, state: ThrottleState, now: datetime) -> None:
    row.consecutive_failures, row.window_started_at = state.consecutive_failures, state.window_started_at
    row.window_failures, row.blocked_until, row.updated_at = state.window_failures, state.blocked_until, now
    row.minute_started_at, row.minute_attempts = state.minute_started_at, state.minute_attempts


def clear(session: Session, user_id: str) -> None:
    """After a password reset or a login by e-mail code: the account starts afresh, from every address."""
    key = throttle_key(user_id)
    session.execute(delete(LoginThrottle).where(or_(LoginThrottle.key == key, LoginThrottle.account_key == key)))


def purge_throttle(portal: Portal) -> int:
    """Delete the counters whose windows, locks and delays are all over; returns how many went."""
    now = clock.utcnow()
    cutoff = min(ACCOUNT_POLICY.forget_before(now), PAIR_POLICY.forget_before(now))
    with portal.uow() as tx:
        result = tx.session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.updated_at < cutoff,
                or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < cutoff),
            )
        )
        tx.commit()
    return result.rowcount or 0
