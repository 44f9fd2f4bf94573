"""The demo never convokes anyone on a weekend or a public holiday of its centre's calendar (Mulhouse)."""

from datetime import date, datetime, timedelta

from portal_stack import demo_data
from scheduling.business_calendar.rules import HolidayCalendar, is_business_day


def test_no_demo_visit_falls_on_a_weekend_or_an_alsace_moselle_holiday_whatever_the_day_it_is_built():
    # Built on every day around the year end, when the visits to come reach Christmas, 26 December and 1 January.
    for offset in range(60):
        built_on = date(2026, 11, 20) + timedelta(days=offset)
        for visit in demo_data.build(today=built_on)["appointments"]:
            day = datetime.fromisoformat(visit["starts_at"]).date()
            assert is_business_day(day, HolidayCalendar.ALSACE_MOSELLE), (built_on, day)


def test_the_local_run_uses_the_alsace_moselle_calendar(tmp_path):
    from portal_stack.environment import stack_environment

    assert stack_environment({"PORTAL_DATA_DIR": str(tmp_path)})["SCHEDULING_HOLIDAY_CALENDAR"] == ("alsace-moselle")
