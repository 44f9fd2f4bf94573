"""Session rules free of Flask and SQLAlchemy: when a session is still alive, when to touch it, the stored hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from portal_common.passport import STEP_UP_GRANT

from ..mfa.rules import step_up_fresh
from ..team.rules import LinkKind

# The passport grant of a session opened on a company through an accounting firm's delegation.
DELEGATE_GRANT = "delegate"


def hash_token(token: str) -> str:
    """Only this hash of the cookie value is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    staff_idle: timedelta
    absolute: timedelta

    def is_alive(
        self, *, now: datetime, last_seen_at: datetime, expires_at: datetime, is_staff: bool, revoked: bool
    ) -> bool:
        if revoked or now >= expires_at:
            return False
        return now - last_seen_at < (self.staff_idle if is_staff else self.idle)


# Refreshing last_seen on every request would turn each page view into a write.
TOUCH_INTERVAL = timedelta(seconds=60)


def needs_touch(now: datetime, last_seen_at: datetime) -> bool:
    return now - last_seen_at >= TOUCH_INTERVAL


def policy(settings: Any) -> SessionPolicy:
    """The lifetimes the service's settings choose (IDENTITY_IDLE_MINUTES…)."""
    return SessionPolicy(
        idle=timedelta(minutes=settings.idle_minutes),
        staff_idle=timedelta(minutes=settings.staff_idle_minutes),
        absolute=timedelta(hours=settings.absolute_hours),
    )


def grants_of(link_kind: str | None, step_up_at: datetime | None, now: datetime) -> frozenset[str]:
    """`delegate` for an accounting firm's link; `step_up` while a re-authentication is fresh (5 minutes)."""
    grants = set()
    if link_kind == LinkKind.DELEGATE:
        grants.add(DELEGATE_GRANT)
    if step_up_fresh(step_up_at, now):
        grants.add(STEP_UP_GRANT)
    return frozenset(grants)
