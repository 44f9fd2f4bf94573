"""Jours ouvrés: weekdays that are not French public holidays (the `holidays` library), and the cancellation limit."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=8)
def _calendar(subdivision: str) -> holidays.HolidayBase:
    # Alsace-Moselle ("6AE", "57") add Good Friday and 26 December to the national list.
    return holidays.France(subdiv=subdivision or None)


def is_business_day(day: date, subdivision: str = "") -> bool:
    return day.weekday() < 5 and day not in _calendar(subdivision)


def business_days_before(day: date, count: int, subdivision: str = "") -> date:
    """The business day `count` business days before `day` (count 0: `day` itself)."""
    current = day
    while count > 0:
        current -= timedelta(days=1)
        if is_business_day(current, subdivision):
            count -= 1
    return current


def cancellation_limit(visit_day: date, notice_business_days: int, subdivision: str = "") -> date:
    """Last day a cancellation is accepted: at least `notice_business_days` jours ouvrés before the visit day.

    With 3 days' notice a visit on a Friday can be cancelled until the Tuesday, one on a Monday until the
    previous Wednesday; holidays in between push the limit further back.
    """
    return business_days_before(visit_day, notice_business_days, subdivision)


def may_cancel(today: date, visit_day: date, notice_business_days: int, subdivision: str = "") -> bool:
    return today <= cancellation_limit(visit_day, notice_business_days, subdivision)
