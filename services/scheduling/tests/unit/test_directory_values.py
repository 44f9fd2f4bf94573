"""What the directory keeps from workforce's events, without any database."""

from datetime import date
from types import SimpleNamespace

from scheduling.directory.rules import hire_values, post_change_values

HIRE = {"hire_date": "2026-03-02", "contract": "CDI"}


def test_a_hire_with_night_work_calls_for_the_visit_before_the_post_when_workforce_sends_its_determinants():
    assert hire_values(HIRE)["before_assignment"] is False
    assert hire_values(HIRE | {"determinants": ["travail_nuit"]})["before_assignment"] is True
    assert hire_values(HIRE | {"determinants": ["autorisation_conduite"]})["before_assignment"] is False
    assert hire_values(HIRE)["category_since"] == date(2026, 3, 2)


def change(**data):
    values = {
        "post": "Cariste",
        "from_date": "2027-01-04",
        "determinants": [],
        "monitoring_category": "SI",
        "previous_category": "SI",
    }
    values.update(data)
    return values


ENTRY = SimpleNamespace(category_since=date(2025, 1, 6), hire_date=date(2025, 1, 6))


def test_a_post_change_dates_a_new_category_and_the_end_of_a_sir_exposure():
    same = post_change_values(ENTRY, change())
    assert "category_since" not in same and "sir_ended_on" not in same
    into_sir = post_change_values(ENTRY, change(monitoring_category="SIR", determinants=["cmr"]))
    assert into_sir["category_since"] == date(2027, 1, 4) and into_sir["sir_ended_on"] is None
    out_of_sir = post_change_values(
        ENTRY, change(monitoring_category="SIA", previous_category="SIR", determinants=["travail_nuit"])
    )
    assert out_of_sir["sir_ended_on"] == date(2027, 1, 4) and out_of_sir["before_assignment"] is True
