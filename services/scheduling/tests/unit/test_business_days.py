"""The cancellation limit in jours ouvrés, around weekends and French public holidays."""

from datetime import date

import pytest

from scheduling.appointments.business_days import cancellation_limit, is_business_day, may_cancel


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
    assert not may_cancel(date.fromordinal(limit.toordinal() + 1), visit, 3)


def test_alsace_adds_boxing_day_and_good_friday():
    assert is_business_day(date(2025, 12, 26))
    assert not is_business_day(date(2025, 12, 26), "6AE")
    assert cancellation_limit(date(2025, 12, 30), 3, "6AE") == date(2025, 12, 23)
    assert cancellation_limit(date(2025, 12, 30), 3) == date(2025, 12, 24)


def test_the_notice_is_configurable():
    assert cancellation_limit(date(2025, 6, 13), 0) == date(2025, 6, 13)
    assert cancellation_limit(date(2025, 6, 13), 5) == date(2025, 6, 5)  # lundi de Pentecôte skipped
