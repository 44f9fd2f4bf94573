"""Request, placement, attendance and document rules, without any database."""

from datetime import UTC, date, datetime, timedelta

import pytest

from scheduling.appointments.rules import AppointmentRejected, check_outcome
from scheduling.documents.rules import check_document
from scheduling.obligations.rules import RULES
from scheduling.slots.rules import PlacementRejected, check_placement, may_perform
from scheduling.visit_requests.rules import (
    REQUESTABLE_TYPES,
    EmployeeState,
    RequestCommand,
    RequestRejected,
    check_request,
    mentions_medical_detail,
)

TODAY = date(2025, 6, 10)
NOW = datetime(2025, 6, 10, 10, 0, tzinfo=UTC)
MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
ACTIVE = EmployeeState(member_id=MEMBER, category="SI", exited=False, embauche_planned=False)


def request(**overrides):
    values = dict(member_id=MEMBER, employee_id="0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12", visit_type="demande")
    values.update(overrides)
    return RequestCommand(**values)


def errors_of(cmd, employee=ACTIVE):
    with pytest.raises(RequestRejected) as caught:
        check_request(cmd, employee, today=TODAY)
    return caught.value.errors


@pytest.mark.parametrize(
    "returned, due", [(date(2025, 6, 10), date(2025, 6, 18)), (date(2025, 6, 2), date(2025, 6, 10))]
)
def test_a_reprise_is_due_within_eight_days_of_the_return(returned, due):
    assert check_request(request(visit_type="reprise", return_date=returned), ACTIVE, today=TODAY)[1] == due


def test_a_reprise_whose_eight_days_are_over_is_refused():
    assert "return_date" in errors_of(request(visit_type="reprise", return_date=date(2025, 6, 1)))


def test_the_employer_never_requests_a_pre_reprise():
    assert "pas par l'employeur" in errors_of(request(visit_type="pre_reprise"))["visit_type"]
    assert "pre_reprise" not in REQUESTABLE_TYPES


def test_every_visit_an_obligation_can_fall_due_for_is_one_the_employer_may_request():
    assert {rule.visit_type for rule in RULES} <= set(REQUESTABLE_TYPES)


def test_a_periodic_visit_is_requested_and_an_aptitude_exam_only_for_a_sir_post():
    assert check_request(request(visit_type="periodique"), ACTIVE, today=TODAY)
    assert "R4624-24" in errors_of(request(visit_type="aptitude"))["visit_type"]
    sir = EmployeeState(member_id=MEMBER, category="SIR", exited=False, embauche_planned=False)
    assert check_request(request(visit_type="aptitude"), sir, today=TODAY)


def test_an_initial_visit_already_planned_is_not_requested_twice():
    planned = EmployeeState(member_id=MEMBER, category="SI", exited=False, embauche_planned=True)
    assert "déjà" in errors_of(request(visit_type="embauche"), planned)["visit_type"]
    assert check_request(request(visit_type="embauche"), ACTIVE, today=TODAY)


def test_another_companys_unknown_or_departed_employee_is_refused():
    elsewhere = EmployeeState(
        member_id="9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", category="SI", exited=False, embauche_planned=False
    )
    assert errors_of(request(), elsewhere) == errors_of(request(), None)
    departed = EmployeeState(member_id=MEMBER, category="SIR", exited=True, embauche_planned=False)
    assert "quitté" in errors_of(request(visit_type="post_exposition"), departed)["employee_id"]


def test_a_preferred_period_in_the_past_or_reversed_is_refused():
    assert "preferred_from" in errors_of(request(preferred_from=TODAY - timedelta(days=1)))
    assert "preferred_to" in errors_of(
        request(preferred_from=TODAY + timedelta(days=9), preferred_to=TODAY + timedelta(days=2))
    )


@pytest.mark.parametrize(
    "text, medical",
    [
        ("En arrêt maladie jusqu'au 12", True),
        ("Reconnu RQTH", True),
        ("Grossesse en cours", True),
        ("Absent le mercredi après-midi", False),
        ("Travaille sur le site de Colmar", False),
    ],
)
def test_free_text_with_a_medical_detail_is_refused(text, medical):
    assert mentions_medical_detail(text) is medical


@pytest.mark.parametrize(
    "kind, visit_type, rule, allowed",
    [
        ("infirmier", "embauche", "vip_initiale", True),
        ("infirmier", "aptitude", "examen_aptitude", False),
        ("collaborateur_medecin", "periodique", "periodique_sir", False),
        ("infirmier", "periodique", "intermediaire_sir", True),
        ("infirmier", "reprise", None, False),
        ("collaborateur_medecin", "mi_carriere", None, False),
        ("medecin", "post_exposition", None, True),
    ],
)
def test_who_may_do_which_visit(kind, visit_type, rule, allowed):
    assert may_perform(kind, visit_type, rule) is allowed


def test_a_full_or_past_slot_is_refused():
    later = NOW + timedelta(days=1)
    with pytest.raises(PlacementRejected, match="slot_id"):
        check_placement(
            visit_type="demande",
            rule=None,
            professional_kind="medecin",
            slot_starts_at=later,
            booked=2,
            capacity=2,
            now=NOW,
        )
    with pytest.raises(PlacementRejected):
        check_placement(
            visit_type="demande",
            rule=None,
            professional_kind="medecin",
            slot_starts_at=NOW,
            booked=0,
            capacity=2,
            now=NOW,
        )
    check_placement(
        visit_type="demande",
        rule=None,
        professional_kind="medecin",
        slot_starts_at=later,
        booked=1,
        capacity=2,
        now=NOW,
    )


def test_attendance_is_noted_once_after_the_visit_time():
    with pytest.raises(AppointmentRejected):
        check_outcome(status="convoquee", new_status="realisee", starts_at=NOW + timedelta(minutes=1), now=NOW)
    with pytest.raises(AppointmentRejected):
        check_outcome(status="annulee", new_status="realisee", starts_at=NOW, now=NOW)
    check_outcome(status="convoquee", new_status="absent_non_excuse", starts_at=NOW, now=NOW)


def test_no_document_after_a_pre_reprise_and_only_pdf_files():
    with pytest.raises(AppointmentRejected) as caught:
        check_document(kind="attestation_suivi", visit_type="pre_reprise", status="realisee", content=b"text")
    assert set(caught.value.errors) == {"kind", "file"}
    check_document(kind="avis_aptitude", visit_type="aptitude", status="realisee", content=b"%PDF-1.7")


def test_a_worker_moved_out_of_sir_may_be_requested_his_post_exposure_visit_one_never_in_sir_may_not():
    never = EmployeeState(member_id=MEMBER, category="SIA", exited=False, embauche_planned=False)
    assert "suivi individuel renforcé" in errors_of(request(visit_type="post_exposition"), never)["visit_type"]
    moved = EmployeeState(
        member_id=MEMBER, category="SIA", exited=False, embauche_planned=False, sir_exposure_ended=True
    )
    assert check_request(request(visit_type="post_exposition"), moved, today=TODAY)[0].visit_type == "post_exposition"
