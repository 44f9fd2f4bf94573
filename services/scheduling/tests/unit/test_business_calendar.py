"""Public holidays of both French calendars, computed, and the jours ouvrés counted with them, around year ends."""

from datetime import UTC, date, datetime, timedelta

import pytest

from scheduling.business_calendar.rules import (
    HolidayCalendar,
    business_days_before,
    cancellation_limit,
    closed_day_reason,
    easter_sunday,
    holiday_name,
    is_business_day,
    local_day,
    may_cancel,
    next_open_day,
    public_holidays,
)

METROPOLE, ALSACE = HolidayCalendar.METROPOLE, HolidayCalendar.ALSACE_MOSELLE


@pytest.mark.parametrize(
    "year, easter",
    [
        (2000, date(2000, 4, 23)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter_sunday_follows_the_gregorian_computus_including_its_earliest_and_latest_dates(year, easter):
    assert easter_sunday(year) == easter and easter.weekday() == 6


def test_metropolitan_france_has_eleven_public_holidays_with_their_french_names_in_2026():
    assert public_holidays(2026) == {
        date(2026, 1, 1): "Jour de l'an",
        date(2026, 4, 6): "Lundi de Pâques",
        date(2026, 5, 1): "Fête du Travail",
        date(2026, 5, 8): "Victoire 1945",
        date(2026, 5, 14): "Ascension",
        date(2026, 5, 25): "Lundi de Pentecôte",
        date(2026, 7, 14): "Fête nationale",
        date(2026, 8, 15): "Assomption",
        date(2026, 11, 1): "Toussaint",
        date(2026, 11, 11): "Armistice 1918",
        date(2026, 12, 25): "Noël",
    }


def test_alsace_moselle_adds_good_friday_and_boxing_day_to_the_national_list():
    alsace = public_holidays(2027, ALSACE)
    assert len(alsace) == 13
    assert alsace[date(2027, 3, 26)] == "Vendredi saint"
    assert alsace[date(2027, 12, 26)] == "Saint-Étienne"
    assert set(public_holidays(2027)) < set(alsace)
    assert holiday_name(date(2027, 3, 26)) is None and holiday_name(date(2027, 12, 26)) is None


@pytest.mark.parametrize(
    "day, metropole, alsace",
    [
        (date(2026, 12, 24), None, None),
        (date(2026, 12, 25), "Noël", "Noël"),
        (date(2026, 12, 26), None, "Saint-Étienne"),
        (date(2026, 12, 31), None, None),
        (date(2027, 1, 1), "Jour de l'an", "Jour de l'an"),
        (date(2027, 1, 2), None, None),
        (date(2027, 3, 29), "Lundi de Pâques", "Lundi de Pâques"),
        (date(2027, 5, 6), "Ascension", "Ascension"),
        (date(2027, 5, 17), "Lundi de Pentecôte", "Lundi de Pentecôte"),
        (date(2025, 4, 18), None, "Vendredi saint"),
    ],
)
def test_each_holiday_around_the_year_end_and_easter_in_both_calendars(day, metropole, alsace):
    assert holiday_name(day, METROPOLE) == metropole
    assert holiday_name(day, ALSACE) == alsace


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2025, 5, 1), False),  # fête du Travail
        (date(2025, 5, 29), False),  # Ascension 2025
        (date(2025, 7, 14), False),  # fête nationale
        (date(2025, 12, 25), False),  # Noël
        (date(2025, 5, 3), False),  # a Saturday
        (date(2025, 5, 2), True),
    ],
)
def test_weekends_and_public_holidays_are_not_business_days(day, expected):
    assert is_business_day(day) is expected


@pytest.mark.parametrize(
    "visit, limit",
    [
        (date(2025, 6, 13), date(2025, 6, 10)),  # Friday → Tuesday
        (date(2025, 6, 16), date(2025, 6, 11)),  # Monday → previous Wednesday (weekend skipped)
        (date(2025, 5, 5), date(2025, 4, 29)),  # Monday 5 May: 1 May and the weekend skipped
        (date(2025, 6, 2), date(2025, 5, 27)),  # Monday 2 June: Ascension (29 May) skipped
        (date(2025, 7, 16), date(2025, 7, 10)),  # Wednesday 16 July: 14 July and the weekend skipped
        (date(2025, 12, 29), date(2025, 12, 23)),  # Monday 29 December: Christmas skipped
    ],
)
def test_the_limit_is_three_business_days_before_the_visit(visit, limit):
    assert cancellation_limit(visit, 3) == limit
    assert may_cancel(limit, visit, 3)
    assert not may_cancel(limit + timedelta(days=1), visit, 3)


@pytest.mark.parametrize(
    "visit, metropole, alsace",
    [
        # Monday 28 December 2026: the weekend, 25 and (in Alsace-Moselle) 26 December skipped.
        (date(2026, 12, 28), date(2026, 12, 22), date(2026, 12, 22)),
        # Tuesday 29 December 2026.
        (date(2026, 12, 29), date(2026, 12, 23), date(2026, 12, 23)),
        # Monday 4 January 2027: 1 January is a Friday, the limit falls back into December.
        (date(2027, 1, 4), date(2026, 12, 29), date(2026, 12, 29)),
        # Tuesday 30 December 2025: 26 December 2025 is a Friday, a business day in metropolitan France only.
        (date(2025, 12, 30), date(2025, 12, 24), date(2025, 12, 23)),
        # Tuesday 31 March 2026 before Easter: Good Friday 2026 is 3 April; Tuesday 7 April after it.
        (date(2026, 4, 7), date(2026, 4, 1), date(2026, 3, 31)),
    ],
)
def test_the_cancellation_limit_across_the_year_end_in_both_calendars(visit, metropole, alsace):
    assert cancellation_limit(visit, 3, METROPOLE) == metropole
    assert cancellation_limit(visit, 3, ALSACE) == alsace


def test_the_notice_is_configurable():
    assert cancellation_limit(date(2025, 6, 13), 0) == date(2025, 6, 13)
    assert cancellation_limit(date(2025, 6, 13), 5) == date(2025, 6, 5)  # lundi de Pentecôte skipped
    assert business_days_before(date(2027, 1, 4), 1, ALSACE) == date(2026, 12, 31)


def test_a_slot_is_refused_on_a_holiday_with_its_name_and_on_a_sunday():
    assert closed_day_reason(date(2026, 12, 25)) == (
        "Le 25/12/2026 est férié (Noël) : aucun créneau ne peut y être ouvert."
    )
    assert closed_day_reason(date(2026, 12, 27)) == (
        "Le 27/12/2026 est un dimanche : aucun créneau ne peut y être ouvert."
    )
    assert closed_day_reason(date(2026, 12, 26)) is None  # a Saturday in metropolitan France
    assert closed_day_reason(date(2027, 12, 26), ALSACE) == (
        "Le 26/12/2027 est férié (Saint-Étienne) : aucun créneau ne peut y être ouvert."
    )
    assert closed_day_reason(date(2026, 12, 28)) is None


def test_the_day_of_a_visit_is_its_paris_day():
    # 23:30 UTC on 24 December is 00:30 on Christmas Day in Paris.
    assert local_day(datetime(2026, 12, 24, 23, 30, tzinfo=UTC)) == date(2026, 12, 25)


def test_the_next_open_day_skips_weekends_and_holidays_across_the_year_end():
    assert next_open_day(date(2026, 12, 25), ALSACE) == date(2026, 12, 28)
    assert next_open_day(date(2026, 12, 31)) == date(2026, 12, 31)
    assert next_open_day(date(2027, 1, 1)) == date(2027, 1, 4)
    assert next_open_day(date(2027, 12, 25), ALSACE) == date(2027, 12, 27)
