"""Visit requests by the employer: what he may ask, and every refusal with its reason, on PostgreSQL."""

from datetime import timedelta

import pytest

from portal_common.clock import utcnow
from portal_common.messaging import catalogue
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration


def today():
    return utcnow().date()


def post(service, principal, **body):
    return service.client().post("/api/scheduling/requests", json=body, headers=service.headers(principal))


@pytest.fixture
def employer(directory):
    return make_principal(member_id=directory.member_a, roles=("convocation",))


def test_a_reprise_request_is_due_within_eight_days_of_the_return_and_published(service, directory, employer):
    back = today() + timedelta(days=5)
    response = post(
        service,
        employer,
        employee_id=directory.dupont,
        visit_type="reprise",
        return_date=back.isoformat(),
        preferred_time="matin",
        constraints="Absent le mercredi",
    )
    assert response.status_code == 201, response.json
    created = response.json
    assert created["due_by"] == (back + timedelta(days=8)).isoformat()
    assert (created["status"], created["status_label"], created["member_id"]) == (
        "demandee",
        "Demandée",
        directory.member_a,
    )
    [event] = service.events()
    assert event.type == "scheduling.appointment.requested.v1" and event.data["due_by"] == created["due_by"]
    catalogue.validate(event)
    listed = service.client().get("/api/scheduling/requests", headers=service.headers(employer)).json
    assert [r["id"] for r in listed] == [created["id"]]


@pytest.mark.parametrize(
    "body, field, message",
    [
        (dict(visit_type="pre_reprise"), "visit_type", "pas par l'employeur"),
        (dict(visit_type="aptitude"), "visit_type", "suivi individuel renforcé"),
        (dict(visit_type="post_exposition"), "visit_type", "suivi individuel renforcé"),
        (dict(visit_type="reprise"), "return_date", "Indiquez la date de reprise"),
        (dict(visit_type="reprise", return_date="2024-01-02"), "return_date", "cette date est passée"),
        (dict(visit_type="demande", preferred_from="2024-01-02"), "preferred_from", "dans le passé"),
        (dict(visit_type="demande", comment="Arrêt maladie pour dépression"), "comment", "information médicale"),
        (dict(visit_type="demande", constraints="Enceinte, éviter le matin"), "constraints", "information médicale"),
    ],
)
def test_a_request_the_employer_may_not_make_is_refused_with_the_reason_and_nothing_written(
    service, directory, employer, body, field, message
):
    response = post(service, employer, employee_id=directory.dupont, **body)
    assert response.status_code == 422
    assert message in response.json["errors"]["json"][field]
    assert service.events() == []
    assert service.client().get("/api/scheduling/requests", headers=service.headers(employer)).json == []


def test_a_request_for_another_companys_or_a_departed_employee_is_refused(service, directory, employer, deliver):
    theirs = post(service, employer, employee_id=directory.keller, visit_type="demande")
    assert theirs.status_code == 422
    assert theirs.json["errors"]["json"]["employee_id"] == "Salarié introuvable dans votre entreprise."
    deliver(
        "workforce.employee.exited.v1",
        employee_id=directory.bernard,
        member_id=directory.member_a,
        exit_date="2025-06-30",
        reason="demission",
        was_reinforced=False,
        version=2,
    )
    gone = post(service, employer, employee_id=directory.bernard, visit_type="demande")
    assert gone.status_code == 422 and "quitté l'entreprise" in gone.json["errors"]["json"]["employee_id"]
    assert service.events() == []


def test_an_initial_visit_is_requested_only_when_none_is_planned_and_a_request_can_be_withdrawn(
    service, directory, employer
):
    first = post(service, employer, employee_id=directory.dupont, visit_type="embauche")
    assert first.status_code == 201
    second = post(service, employer, employee_id=directory.dupont, visit_type="embauche")
    assert second.status_code == 422 and "déjà demandée" in second.json["errors"]["json"]["visit_type"]
    other = make_principal(member_id=directory.member_b, roles=("admin",))
    client = service.client()
    assert (
        client.post(
            f"/api/scheduling/requests/{first.json['id']}/withdrawal", headers=service.headers(other)
        ).status_code
        == 404
    )
    withdrawn = client.post(
        f"/api/scheduling/requests/{first.json['id']}/withdrawal", headers=service.headers(employer)
    )
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "annulee"
    assert post(service, employer, employee_id=directory.dupont, visit_type="embauche").status_code == 201


def test_only_admin_and_convocation_users_may_request(service, directory):
    reader = make_principal(member_id=directory.member_a, roles=("read",))
    assert post(service, reader, employee_id=directory.dupont, visit_type="demande").status_code == 403
    assert service.client().post("/api/scheduling/requests", json={}).status_code == 401


def test_the_request_form_warns_against_medical_details_and_shows_errors_next_to_fields(service, directory, employer):
    client, headers = service.client(), service.headers(employer)
    form = client.get(f"/rendez-vous/demande?salarie={directory.dupont}&type=reprise", headers=headers)
    assert form.status_code == 200
    assert "N&#39;indiquez aucune information médicale" in form.text
    assert f'<option value="{directory.dupont}" selected>' in form.text
    assert "Visite de pré-reprise</option>" not in form.text
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(
        "/rendez-vous/demande",
        headers=headers,
        data=dict(csrf_token=token, employee_id=directory.dupont, visit_type="reprise", return_date=""),
    )
    assert refused.status_code == 422
    assert '<p class="field-error" id="f-return_date-error">Indiquez la date de reprise du travail.</p>' in refused.text
    accepted = client.post(
        "/rendez-vous/demande",
        headers=headers,
        data=dict(csrf_token=token, employee_id=directory.dupont, visit_type="demande", preferred_time="apres_midi"),
    )
    assert accepted.status_code == 302
    page = client.get("/rendez-vous", headers=headers).text
    assert "Visite à la demande" in page.split('<h2 id="demandes">')[1].split('<h2 id="a-venir">')[0]


def test_a_worker_moved_out_of_sir_gets_the_post_exposure_visit_the_page_offers(service, directory, employer, deliver):
    for version, (new_post, category, previous, day, determinants) in enumerate(
        [("Cariste", "SIR", "SI", "2027-01-04", ["cmr"]), ("Vendeuse", "SI", "SIR", "2027-03-01", [])], start=2
    ):
        deliver(
            "workforce.employee.updated.v1",
            employee_id=directory.dupont,
            member_id=directory.member_a,
            last_name="MARTIN",
            birth_name="DUPONT",
            first_names="Marie Claire",
            birth_date="1985-08-14",
            post=new_post,
            monitoring_category=category,
            version=version,
        )
        deliver(
            "workforce.employee.post_changed.v1",
            employee_id=directory.dupont,
            member_id=directory.member_a,
            post=new_post,
            pcs_code="651a",
            previous_post="Vendeuse",
            determinants=determinants,
            from_date=day,
            monitoring_category=category,
            previous_category=previous,
            version=version,
        )
    page = service.client().get("/rendez-vous", headers=service.headers(employer)).text
    assert f"/rendez-vous/demande?salarie={directory.dupont}&amp;type=post_exposition" in page
    response = post(service, employer, employee_id=directory.dupont, visit_type="post_exposition")
    assert response.status_code == 201, response.json
    assert response.json["visit_type"] == "post_exposition"


def test_a_departed_sir_workers_visit_is_shown_as_organised_by_the_service_not_offered_to_request(
    service, directory, employer, deliver
):
    deliver(
        "workforce.employee.updated.v1",
        employee_id=directory.bernard,
        member_id=directory.member_a,
        last_name="BERNARD",
        birth_name="BERNARD",
        first_names="Louis",
        birth_date="1990-02-03",
        monitoring_category="SIR",
        version=2,
    )
    deliver(
        "workforce.employee.exited.v1",
        employee_id=directory.bernard,
        member_id=directory.member_a,
        exit_date="2026-06-30",
        reason="demission",
        was_reinforced=True,
        version=3,
    )
    [due] = (
        service.client()
        .get(f"/api/scheduling/obligations?employee_id={directory.bernard}", headers=service.headers(employer))
        .json
    )
    assert (due["rule"], due["employee_left"]) == ("post_exposition", True)
    page = service.client().get("/rendez-vous", headers=service.headers(employer)).text
    visible = page.split('<h2 id="obligations">')[1].split('<h2 id="demandes">')[0]
    row = visible.split("BERNARD")[1].split("</tr>")[0]
    assert "Organisée par le service (salarié parti)" in row and "/rendez-vous/demande" not in row
    assert f"salarie={directory.bernard}&amp;type=post_exposition" not in page
