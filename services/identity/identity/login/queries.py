"""Reading the login counters: how long until an attempt would be evaluated again (docs/security.md AUTH-21)."""

from __future__ import annotations

from datetime import datetime

from portal_common import clock
from portal_common.service import Portal

from ..models import LoginThrottle
from .rules import ACCOUNT_POLICY, PAIR_POLICY, ThrottleState, pair_key, throttle_key, wait_seconds


def state_of(row: LoginThrottle | None) -> ThrottleState:
    if row is None:
        return ThrottleState()
    return ThrottleState(
        row.consecutive_failures,
        row.window_started_at,
        row.window_failures,
        row.blocked_until,
        row.minute_started_at,
        row.minute_attempts,
    )


def seconds_to_wait(portal: Portal, user_id: str | None, identifier: str, address: str | None) -> int:
    """A `Retry-After` for an attempt just refused: the later of the account's and the (account, address)
    counters' waits; 1 when both have meanwhile run out."""
    now = clock.utcnow()
    with portal.db.session_factory() as db:
        account = state_of(db.get(LoginThrottle, throttle_key(user_id, identifier)))
        pair = state_of(db.get(LoginThrottle, pair_key(user_id, identifier, address)))
    waits: list[datetime] = [
        at for at in (ACCOUNT_POLICY.retry_at(account, now), PAIR_POLICY.retry_at(pair, now)) if at is not None
    ]
    return wait_seconds(max(waits), now) if waits else 1
