"""Session lifetime rules and safe redirects, free of Flask and SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    staff_idle: timedelta
    absolute: timedelta

    def is_alive(self, *, now: datetime, last_seen_at: datetime, expires_at: datetime, is_staff: bool,
                 revoked: bool) -> bool:
        if revoked or now >= expires_at:
            return False
        return now - last_seen_at < (self.staff_idle if is_staff else self.idle)


# Refreshing last_seen on every request would turn each page view into a write.
TOUCH_INTERVAL = timedelta(seconds=60)


def needs_touch(now: datetime, last_seen_at: datetime) -> bool:
    return now - last_seen_at >= TOUCH_INTERVAL


def safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith(("/connexion", "/deconnexion", "/internal/")):
        return "/"
    return target


def looks_like_member_number(identifier: str) -> bool:
    return len(identifier) == 7 and identifier.isdigit()
