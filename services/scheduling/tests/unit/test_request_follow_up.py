"""What a visit request becomes when its appointment is cancelled or its employee leaves, without any database."""

from datetime import date

import pytest

from scheduling.visit_requests.rules import REQUESTABLE_TYPES, after_cancellation, closed_by_exit, exit_reason

VISIT_DAY = date(2026, 9, 14)
EXIT = date(2026, 6, 30)


def test_a_request_whose_visit_the_employer_cancels_is_given_up_with_the_visit_day():
    assert after_cancellation(cancelled_by="employer", visit_type="demande", visit_day=VISIT_DAY, exit_date=None) == (
        "annulee",
        "rendez-vous du 14/09/2026 annulé par l'employeur",
    )


@pytest.mark.parametrize("visit_type", REQUESTABLE_TYPES)
def test_a_request_whose_visit_staff_cancel_goes_back_to_be_placed_again(visit_type):
    assert after_cancellation(cancelled_by="staff", visit_type=visit_type, visit_day=VISIT_DAY, exit_date=None) == (
        "demandee",
        None,
    )


def test_a_leavers_request_whose_visit_staff_cancel_is_closed_unless_the_exit_calls_for_it():
    assert after_cancellation(cancelled_by="staff", visit_type="reprise", visit_day=VISIT_DAY, exit_date=EXIT) == (
        "annulee",
        "salarié sorti des effectifs le 30/06/2026",
    )
    assert after_cancellation(
        cancelled_by="staff", visit_type="post_exposition", visit_day=VISIT_DAY, exit_date=EXIT
    ) == ("demandee", None)


def test_an_exit_closes_every_requestable_visit_but_the_post_exposure_one():
    assert [t for t in REQUESTABLE_TYPES if not closed_by_exit(t)] == ["post_exposition"]
    assert exit_reason(date(2027, 1, 5)) == "salarié sorti des effectifs le 05/01/2027"
