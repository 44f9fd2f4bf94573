"""Failed-login counters per account, stored and locked row by row (SECURITY.md AUTH-20)."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .domain import LockoutPolicy, ThrottleState
from .models import LoginThrottle

POLICY = LockoutPolicy()


def throttle_key(user_id: str | None, identifier: str = "") -> str:
    """Per account; an unknown identifier gets its own counter so it behaves exactly like an account."""
    raw = f"user:{user_id}" if user_id is not None else f"unknown:{identifier.lower()}"
    return hashlib.sha256(raw.encode()).hexdigest()


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


def purge(session: Session, now: datetime) -> int:
    """Delete the counters whose windows, locks and delays are all over; returns how many went."""
    cutoff = POLICY.forget_before(now)
    result = session.execute(delete(LoginThrottle).where(
        LoginThrottle.updated_at < cutoff,
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < cutoff)))
    return result.rowcount or 0
