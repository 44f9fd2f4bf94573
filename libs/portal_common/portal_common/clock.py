"""One place to read the time, so tests can move it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The service's calendar: due dates, invoice dates, ages and exits are French calendar days.
PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in France, read through `utcnow` so a test that moves the clock moves it too."""
    return utcnow().astimezone(PARIS).date()
