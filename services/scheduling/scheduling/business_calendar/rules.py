"""French public holidays and jours ouvrés, computed (no table to keep up to date), for both calendars in force.

Metropolitan France has eleven public holidays (Code du travail L3133-1); Alsace-Moselle (Bas-Rhin, Haut-Rhin,
Moselle) adds Good Friday and 26 December (L3134-13). Easter follows the anonymous Gregorian algorithm
(Meeus/Jones/Butcher), exact for every Gregorian year. Sundays are never open to visits; Saturdays are not
business days but a centre may open slots on them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from portal_common.clock import PARIS


class HolidayCalendar(StrEnum):
    METROPOLE = "metropole"
    ALSACE_MOSELLE = "alsace-moselle"


def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int, calendar: HolidayCalendar = HolidayCalendar.METROPOLE) -> dict[date, str]:
    """Every public holiday of the year in that calendar, with its French name."""
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1): "Jour de l'an",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }
    if calendar == HolidayCalendar.ALSACE_MOSELLE:
        days[easter - timedelta(days=2)] = "Vendredi saint"
        days[date(year, 12, 26)] = "Saint-Étienne"
    return dict(sorted(days.items()))


def local_day(instant: datetime) -> date:
    """The French calendar day of an instant (a visit at 00:30 Paris time is on that Paris day)."""
    return instant.astimezone(PARIS).date()


def holiday_name(day: date, calendar: HolidayCalendar = HolidayCalendar.METROPOLE) -> str | None:
    return public_holidays(day.year, calendar).get(day)


def is_business_day(day: date, calendar: HolidayCalendar = HolidayCalendar.METROPOLE) -> bool:
    """A jour ouvré: Monday to Friday, not a public holiday."""
    return day.weekday() < 5 and holiday_name(day, calendar) is None


def business_days_before(day: date, count: int, calendar: HolidayCalendar = HolidayCalendar.METROPOLE) -> date:
    """The business day `count` business days before `day` (count 0: `day` itself)."""
    current = day
    while count > 0:
        current -= timedelta(days=1)
        if is_business_day(current, calendar):
            count -= 1
    return current


def cancellation_limit(
    visit_day: date, notice_business_days: int, calendar: HolidayCalendar = HolidayCalendar.METROPOLE
) -> date:
    """Last day a cancellation is accepted: at least `notice_business_days` jours ouvrés before the visit day.

    With 3 days' notice a visit on a Friday can be cancelled until the Tuesday, one on a Monday until the
    previous Wednesday; holidays in between push the limit further back.
    """
    return business_days_before(visit_day, notice_business_days, calendar)


def may_cancel(
    today: date, visit_day: date, notice_business_days: int, calendar: HolidayCalendar = HolidayCalendar.METROPOLE
) -> bool:
    return today <= cancellation_limit(visit_day, notice_business_days, calendar)


SLOT_REFUSED = "aucun créneau ne peut y être ouvert"
VISIT_REFUSED = "aucun rendez-vous ne peut y être fixé"


def closed_day_reason(
    day: date, calendar: HolidayCalendar = HolidayCalendar.METROPOLE, refused: str = SLOT_REFUSED
) -> str | None:
    """Why no visit may take place that day (a public holiday, a Sunday), in French; None on an open day."""
    shown = day.strftime("%d/%m/%Y")
    name = holiday_name(day, calendar)
    if name is not None:
        return f"Le {shown} est férié ({name}) : {refused}."
    if day.weekday() == 6:
        return f"Le {shown} est un dimanche : {refused}."
    return None


def next_open_day(day: date, calendar: HolidayCalendar = HolidayCalendar.METROPOLE) -> date:
    """`day` itself when visits may take place, else the first such day after it (Saturdays excluded)."""
    while day.weekday() >= 5 or holiday_name(day, calendar) is not None:
        day += timedelta(days=1)
    return day
