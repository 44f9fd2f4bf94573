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


def test_a_visit_after_its_employees_exit_is_flagged_and_offered_for_cancellation_except_the_exit_visit():
    from datetime import date

    from scheduling.appointments.rules import cancellation_proposed, left_before_visit

    visit_day, exit_day = date(2027, 1, 15), date(2026, 12, 31)
    assert left_before_visit("convoquee", exit_day, visit_day) and left_before_visit("planifiee", visit_day, visit_day)
    assert cancellation_proposed("convoquee", "periodique", exit_day, visit_day)
    # The visit at departure is the reason to keep it: flagged, never offered for cancellation.
    assert not cancellation_proposed("convoquee", "post_exposition", exit_day, visit_day)
    # Still employed on the visit day, already cancelled or held, or no exit: nothing to say.
    assert not left_before_visit("convoquee", date(2027, 1, 16), visit_day)
    assert not left_before_visit("annulee", exit_day, visit_day)
    assert not left_before_visit("realisee", exit_day, visit_day)
    assert not cancellation_proposed("convoquee", "periodique", None, visit_day)
