"""Obligations fed by workforce's events, seen by the employer and by staff across members, on PostgreSQL."""

import pytest

from portal_common import clock
from portal_common.messaging import catalogue
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",))


def obligations(service, principal, query=""):
    response = service.client().get(f"/api/scheduling/obligations{query}", headers=service.headers(principal))
    assert response.status_code == 200, response.json
    return response.json


def test_a_hire_makes_the_initial_visit_due_and_the_employer_sees_it(service, directory):
    user = make_principal(member_id=directory.member_a, roles=("read",))
    found = {(o["employee"]["last_name"], o["rule"]): o for o in obligations(service, user)}
    # The hired example: hired on 1 March 2024, SI → VIP by 1 June 2024, long overdue now.
    vip = found[("MARTIN", "vip_initiale")]
    assert (vip["due_on"], vip["urgency"], vip["urgency_label"]) == ("2024-06-01", "en_retard", "En retard")
    assert vip["visit_type_label"] == "Visite d'information et de prévention initiale" and vip["planned"] is None
    assert found[("MARTIN", "mi_carriere")]["due_on"] == "2030-12-31"  # born in 1985
    assert {o["employee_id"] for o in obligations(service, user)} == {directory.dupont, directory.bernard}


def test_a_category_change_recomputes_and_an_exit_leaves_only_the_post_exposure_visit(service, directory, deliver):
    user = make_principal(member_id=directory.member_a, roles=("read",))
    updated = deliver(
        "workforce.employee.updated.v1",
        employee_id=directory.dupont,
        member_id=directory.member_a,
        last_name="MARTIN",
        birth_name="DUPONT",
        first_names="Marie Claire",
        birth_date="1985-08-14",
        post="Cariste",
        monitoring_category="SIR",
        version=2,
    )
    changed_on = updated.occurred_at[:10]
    rules = {o["rule"]: o for o in obligations(service, user, f"?employee_id={directory.dupont}")}
    assert set(rules) == {"examen_aptitude", "mi_carriere"}
    assert rules["examen_aptitude"]["due_on"] == changed_on and rules["examen_aptitude"]["before_post"] is True
    deliver(
        "workforce.employee.exited.v1",
        employee_id=directory.dupont,
        member_id=directory.member_a,
        exit_date="2026-06-30",
        reason="mutation",
        was_reinforced=True,
        version=3,
    )
    [left] = obligations(service, user, f"?employee_id={directory.dupont}")
    assert (left["rule"], left["due_on"]) == ("post_exposition", "2026-06-30")
    # A stale update arriving after the exit changes nothing.
    deliver(
        "workforce.employee.updated.v1",
        employee_id=directory.dupont,
        member_id=directory.member_a,
        monitoring_category="SI",
        version=2,
    )
    assert [o["rule"] for o in obligations(service, user, f"?employee_id={directory.dupont}")] == ["post_exposition"]


def test_workforce_events_are_applied_once_even_when_delivered_twice(service, directory, process):
    envelope = catalogue.example_envelope(
        "workforce.employee.updated.v1",
        employee_id=directory.bernard,
        member_id=directory.member_a,
        monitoring_category="SIA",
        version=2,
    )
    assert process(envelope) is True
    assert process(envelope) is False
    rows = obligations(service, SECRETARY, f"?employee_id={directory.bernard}")
    assert sorted(o["rule"] for o in rows) == ["mi_carriere", "vip_initiale"]


def test_an_exit_before_its_hire_is_retried_rather_lost(service, process):
    envelope = catalogue.example_envelope("workforce.employee.exited.v1")
    with pytest.raises(Exception, match=envelope.data["employee_id"]):
        process(envelope)


def test_staff_see_the_backlog_across_members_and_a_member_only_its_own(service, directory):
    every = obligations(service, SECRETARY)
    assert {o["member_id"] for o in every} == {directory.member_a, directory.member_b}
    assert [o["due_on"] for o in every] == sorted(o["due_on"] for o in every)
    of_b = obligations(service, SECRETARY, f"?member_id={directory.member_b}")
    assert {o["employee_id"] for o in of_b} == {directory.keller}
    user_a = make_principal(member_id=directory.member_a, roles=("admin",))
    asked_for_b = obligations(service, user_a, f"?member_id={directory.member_b}")
    assert directory.keller not in {o["employee_id"] for o in asked_for_b}
    assert obligations(service, user_a, f"?employee_id={directory.keller}") == []
    overdue_only = obligations(service, SECRETARY, "?within_days=0")
    assert overdue_only and all(o["due_on"] <= clock.today().isoformat() for o in overdue_only)


def test_the_employer_page_and_the_staff_desk_show_what_is_due(service, directory):
    user = make_principal(member_id=directory.member_a, roles=("admin",))
    page = service.client().get("/rendez-vous", headers=service.headers(user)).text
    visible = page.split('<h2 id="obligations">Visites à prévoir</h2>')[1].split('<h2 id="demandes">')[0]
    assert "VIP initiale (3 mois)" in visible and "01/06/2024" in visible and "En retard" in visible
    assert f"/rendez-vous/demande?salarie={directory.dupont}&amp;type=embauche" in visible
    assert "KELLER" not in page
    desk = service.client().get("/gestion/rendez-vous", headers=service.headers(SECRETARY))
    assert desk.status_code == 200
    assert "KELLER" in desk.text and "MARTIN" in desk.text and "Ouvrir un créneau" in desk.text
    member_on_desk = service.client().get("/gestion/rendez-vous", headers=service.headers(user))
    assert member_on_desk.status_code == 403


def post_changed(deliver, directory, **data):
    values = dict(
        employee_id=directory.dupont,
        member_id=directory.member_a,
        post="Cariste",
        pcs_code="651a",
        previous_post="Vendeuse",
        determinants=[],
    )
    values.update(data)
    return deliver("workforce.employee.post_changed.v1", **values)


def test_a_post_change_dates_the_new_category_from_the_first_day_in_the_post(service, directory, deliver):
    user = make_principal(member_id=directory.member_a, roles=("read",))
    # Workforce publishes the updated event, then the post change of the same version.
    deliver(
        "workforce.employee.updated.v1",
        employee_id=directory.dupont,
        member_id=directory.member_a,
        last_name="MARTIN",
        birth_name="DUPONT",
        first_names="Marie Claire",
        birth_date="1985-08-14",
        post="Cariste",
        monitoring_category="SIR",
        version=2,
    )
    post_changed(
        deliver,
        directory,
        from_date="2027-01-04",
        determinants=["cmr"],
        monitoring_category="SIR",
        previous_category="SI",
        version=2,
    )
    rules = {o["rule"]: o for o in obligations(service, user, f"?employee_id={directory.dupont}")}
    assert rules["examen_aptitude"]["due_on"] == "2027-01-04" and rules["examen_aptitude"]["before_post"] is True
    # Out of SIR from 1 March 2027 (night work): the end of the exposure makes the post-exposure visit due.
    post_changed(
        deliver,
        directory,
        post="Préparateur de nuit",
        previous_post="Cariste",
        from_date="2027-03-01",
        determinants=["travail_nuit"],
        monitoring_category="SIA",
        previous_category="SIR",
        version=3,
    )
    rules = {o["rule"]: o for o in obligations(service, user, f"?employee_id={directory.dupont}")}
    assert rules["post_exposition"]["due_on"] == "2027-03-01" and "examen_aptitude" not in rules
    # A post change older than what is known changes nothing.
    post_changed(
        deliver,
        directory,
        from_date="2027-01-04",
        determinants=["cmr"],
        monitoring_category="SIR",
        previous_category="SI",
        version=2,
    )
    assert "post_exposition" in {o["rule"] for o in obligations(service, user, f"?employee_id={directory.dupont}")}


def test_a_post_change_before_its_hire_is_retried_rather_lost(service, process):
    envelope = catalogue.example_envelope("workforce.employee.post_changed.v1")
    with pytest.raises(Exception, match=envelope.data["employee_id"]):
        process(envelope)
