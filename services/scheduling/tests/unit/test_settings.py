"""The visit periods are configuration: the legal values by default, tightened through the environment."""

import pytest

from portal_common.config import SettingsError
from scheduling.business_calendar.rules import HolidayCalendar
from scheduling.config import Settings
from scheduling.obligations.rules import Periods

KEY = {"PORTAL_INTERNAL_KEY": "k" * 32}


def test_without_settings_the_periods_are_the_legal_ones_and_the_notice_is_three_business_days():
    settings = Settings.from_env(KEY)
    assert settings.periods == Periods()
    assert (settings.cancellation_business_days, settings.holiday_calendar) == (3, HolidayCalendar.METROPOLE)


def test_an_spsti_may_shorten_the_periods_through_the_environment():
    settings = Settings.from_env(
        KEY
        | {
            "SCHEDULING_VIP_MONTHS": "2",
            "SCHEDULING_SIA_RENEWAL_YEARS": "2",
            "SCHEDULING_SIR_INTERMEDIATE_YEARS": "1",
            "SCHEDULING_REPRISE_DAYS": "5",
            "SCHEDULING_CANCELLATION_BUSINESS_DAYS": "2",
        }
    )
    assert settings.periods == Periods(vip_months=2, sia_renewal_years=2, sir_intermediate_years=1, reprise_days=5)
    assert settings.cancellation_business_days == 2


@pytest.mark.parametrize(
    "name, raw",
    [("SCHEDULING_VIP_MONTHS", "0"), ("SCHEDULING_SI_RENEWAL_YEARS", "cinq"), ("SCHEDULING_POST_EXPOSURE_DAYS", "-1")],
)
def test_an_invalid_period_stops_the_start_naming_the_variable(name, raw):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(KEY | {name: raw})


def test_the_holiday_calendar_is_a_setting_and_an_unknown_one_stops_the_start():
    settings = Settings.from_env(KEY | {"SCHEDULING_HOLIDAY_CALENDAR": "alsace-moselle"})
    assert settings.holiday_calendar == HolidayCalendar.ALSACE_MOSELLE
    with pytest.raises(SettingsError, match="SCHEDULING_HOLIDAY_CALENDAR"):
        Settings.from_env(KEY | {"SCHEDULING_HOLIDAY_CALENDAR": "6AE"})
