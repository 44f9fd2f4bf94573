"""A placed request follows its cancelled appointment, and a leaver's open requests are closed, on PostgreSQL."""

from datetime import timedelta

import pytest

from portal_common.clock import utcnow
from portal_common.messaging import catalogue
from portal_common.testing import make_principal
from scheduling.business_calendar.rules import next_open_day

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",))
CENTRE = {"name": "Centre médical de Mulhouse", "address": "4 rue des Fabriques, 68100 Mulhouse"}


@pytest.fixture
def employer(directory):
    return make_principal(member_id=directory.member_a, roles=("admin",))


def api(service, principal, path, **body):
    return service.client().post(f"/api/scheduling{path}", json=body, headers=service.headers(principal))


def confirmation_form(client, headers, appointment_id):
    """The hidden fields of the employer's confirmation page: CSRF and form tokens, the version read."""
    page = client.get(f"/rendez-vous/{appointment_id}/annulation", headers=headers).text
    form = page.split(f'action="/rendez-vous/{appointment_id}/annulation"')[1].split("</form>")[0]
    return {
        name: form.split(f'name="{name}" value="')[1].split('"')[0] for name in ("csrf_token", "form_token", "version")
    }


def open_slot(service, days=30):
    # Visits are held on open days only: the slot moves past a Sunday or a public holiday.
    starts = next_open_day((utcnow() + timedelta(days=days)).date()).strftime("%Y-%m-%dT08:30:00+00:00")
    return api(
        service,
        SECRETARY,
        "/slots",
        centre=CENTRE,
        professional_kind="medecin",
        professional_name="Dr Claire Weber",
        starts_at=starts,
        duration_minutes=30,
    ).json["id"]


def request_for(service, employer, employee_id, visit_type="demande"):
    response = api(service, employer, "/requests", employee_id=employee_id, visit_type=visit_type)
    assert response.status_code == 201, response.json
    return response.json


def placed(service, request, days=30):
    response = api(service, SECRETARY, f"/slots/{open_slot(service, days)}/placements", request_id=request["id"])
    assert response.status_code == 201, response.json
    return response.json


def requests_of(service, principal, open_only=False):
    response = service.client().get(
        f"/api/scheduling/requests?open_only={str(open_only).lower()}", headers=service.headers(principal)
    )
    return {r["id"]: r for r in response.json}


def last_request_event(service, request_id):
    found = [
        e
        for e in service.events()
        if e.type == "scheduling.appointment.requested.v1" and e.data["request_id"] == request_id
    ][-1]
    catalogue.validate(found)
    return found.data


def test_the_employer_cancelling_a_visit_placed_from_a_request_gives_the_request_up(service, directory, employer):
    request = request_for(service, employer, directory.dupont)
    visit = placed(service, request)
    cancelled = api(service, employer, f"/appointments/{visit['id']}/cancellation", reason_code="salarie_absent")
    assert cancelled.status_code == 200, cancelled.json
    mine = requests_of(service, employer)[request["id"]]
    day = visit["starts_at"][8:10] + "/" + visit["starts_at"][5:7] + "/" + visit["starts_at"][:4]
    assert (mine["status"], mine["status_label"]) == ("annulee", "Annulée")
    assert mine["closed_reason"] == f"rendez-vous du {day} annulé par l'employeur"
    assert request["id"] not in requests_of(service, SECRETARY, open_only=True)
    assert last_request_event(service, request["id"])["status"] == "annulee"
    [cancellation] = [e for e in service.events() if e.type == "scheduling.appointment.cancelled.v1"]
    assert cancellation.data["cancelled_by"] == "employer"
    catalogue.validate(cancellation)


def test_the_employer_cancelling_from_the_page_gives_the_request_up_too(service, directory, employer):
    request = request_for(service, employer, directory.dupont)
    visit = placed(service, request)
    client, headers = service.client(), service.headers(employer)
    form = confirmation_form(client, headers, visit["id"])
    done = client.post(
        f"/rendez-vous/{visit['id']}/annulation", data=form | {"reason_code": "salarie_sorti"}, headers=headers
    )
    assert done.status_code == 302
    assert requests_of(service, employer)[request["id"]]["status"] == "annulee"


def test_staff_cancelling_a_visit_put_its_request_back_in_the_backlog_to_place_again(service, directory, employer):
    request = request_for(service, employer, directory.dupont)
    visit = placed(service, request)
    assert (
        api(service, SECRETARY, f"/appointments/{visit['id']}/cancellation", reason_code="salarie_absent").status_code
        == 200
    )
    back = requests_of(service, SECRETARY, open_only=True)[request["id"]]
    assert (back["status"], back["appointment_id"], back["closed_reason"]) == ("demandee", None, None)
    event = last_request_event(service, request["id"])
    assert (event["status"], event["version"]) == ("demandee", 3)
    desk = service.client().get("/gestion/rendez-vous", headers=service.headers(SECRETARY)).text
    assert f'name="request_id" value="{request["id"]}"' in desk
    again = placed(service, back, days=31)
    assert requests_of(service, SECRETARY)[request["id"]]["appointment_id"] == again["id"]


def exit_of(deliver, directory, employee_id, *, version=2, was_reinforced=False):
    return deliver(
        "workforce.employee.exited.v1",
        employee_id=employee_id,
        member_id=directory.member_a,
        exit_date="2026-06-30",
        reason="demission",
        was_reinforced=was_reinforced,
        version=version,
    )


def test_an_exit_closes_the_leavers_open_requests_but_keeps_the_post_exposure_one(
    service, directory, employer, deliver, process
):
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
    asked = request_for(service, employer, directory.dupont, "demande")
    post_exposure = request_for(service, employer, directory.dupont, "post_exposition")
    colleague = request_for(service, employer, directory.bernard, "demande")
    envelope = exit_of(deliver, directory, directory.dupont, version=3, was_reinforced=True)
    found = requests_of(service, SECRETARY)
    closed = found[asked["id"]]
    assert (closed["status"], closed["closed_reason"]) == ("annulee", "salarié sorti des effectifs le 30/06/2026")
    assert last_request_event(service, asked["id"])["status"] == "annulee"
    assert (found[post_exposure["id"]]["status"], found[post_exposure["id"]]["closed_reason"]) == ("demandee", None)
    assert found[colleague["id"]]["status"] == "demandee"
    assert set(requests_of(service, SECRETARY, open_only=True)) == {post_exposure["id"], colleague["id"]}
    # Delivered again, the exit changes nothing and publishes nothing.
    published = len(service.events())
    assert process(envelope) is False
    assert len(service.events()) == published


def test_an_exit_leaves_an_upcoming_visit_to_staff_and_closes_its_request_if_they_cancel_it(
    service, directory, employer, deliver
):
    request = request_for(service, employer, directory.bernard)
    visit = placed(service, request)
    exit_of(deliver, directory, directory.bernard)
    assert requests_of(service, SECRETARY)[request["id"]]["status"] == "planifiee"
    headers = service.headers(SECRETARY)
    assert (
        service.client().get(f"/api/scheduling/appointments/{visit['id']}", headers=headers).json["status"]
        == "convoquee"
    )
    # Cancelled by staff after the exit: nothing left to place, the request closes with the exit's reason.
    assert (
        api(service, SECRETARY, f"/appointments/{visit['id']}/cancellation", reason_code="salarie_absent").status_code
        == 200
    )
    closed = requests_of(service, SECRETARY)[request["id"]]
    assert (closed["status"], closed["closed_reason"]) == ("annulee", "salarié sorti des effectifs le 30/06/2026")


def test_the_desk_shows_a_leaver_as_out_of_the_company(service, directory, employer, deliver):
    for employee_id, last_name, first_names, birth_date in (
        (directory.bernard, "BERNARD", "Louis", "1990-02-03"),
        (directory.dupont, "MARTIN", "Marie Claire", "1985-08-14"),
    ):
        deliver(
            "workforce.employee.updated.v1",
            employee_id=employee_id,
            member_id=directory.member_a,
            last_name=last_name,
            birth_name=last_name,
            first_names=first_names,
            birth_date=birth_date,
            monitoring_category="SIR",
            version=2,
        )
    request = request_for(service, employer, directory.bernard, "post_exposition")
    exit_of(deliver, directory, directory.bernard, version=3, was_reinforced=True)
    exit_of(deliver, directory, directory.dupont, version=3, was_reinforced=True)
    desk = service.client().get("/gestion/rendez-vous", headers=service.headers(SECRETARY)).text
    backlog = desk.split('<h2 id="backlog">')[1].split('<h2 id="demandes">')[0]
    requests = desk.split('<h2 id="demandes">')[1].split('<h2 id="creneaux">')[0]
    out = '<span class="badge badge-neutral">Sorti des effectifs le 30/06/2026</span>'
    # Her post-exposure visit is due and not requested: in the backlog; his is requested: in the requests.
    assert out in backlog.split("MARTIN Marie Claire")[1].split("</tr>")[0]
    row = requests.split(f'value="{request["id"]}"')[0].rsplit("<tr>", 1)[1]
    assert "BERNARD Louis" in row and out in row
    assert "Sorti des effectifs" not in backlog.split("KELLER Jean")[1].split("</tr>")[0]


def test_after_an_exit_an_upcoming_convocation_is_flagged_to_staff_and_offered_to_the_employer_to_cancel(
    service, directory, employer, deliver
):
    leaver = placed(service, request_for(service, employer, directory.bernard))
    colleague = placed(service, request_for(service, employer, directory.dupont), days=32)
    exit_of(deliver, directory, directory.bernard)
    client, staff_headers, headers = service.client(), service.headers(SECRETARY), service.headers(employer)
    # Nothing is cancelled by the exit itself.
    assert (
        client.get(f"/api/scheduling/appointments/{leaver['id']}", headers=staff_headers).json["status"] == "convoquee"
    )
    cue = "Salarié sorti le 30/06/2026"

    page = client.get("/rendez-vous", headers=headers).text
    upcoming = page.split('<h2 id="a-venir">')[1].split('<h2 id="passes">')[0]
    assert "1 rendez-vous à venir concerne un salarié sorti des effectifs : rien n'est annulé sans vous." in upcoming
    leaver_row = upcoming.split(f'href="/rendez-vous/{leaver["id"]}/annulation"')[0].rsplit("<tr>", 1)[1]
    assert cue in leaver_row and "Convoquée" in leaver_row
    assert "si la visite n'a plus lieu d'être, annulez ce rendez-vous" in leaver_row
    colleague_row = upcoming.split(f'href="/rendez-vous/{colleague["id"]}/annulation"')[0].rsplit("<tr>", 1)[1]
    assert "sorti" not in colleague_row

    desk = client.get("/gestion/rendez-vous", headers=staff_headers).text
    flagged = desk.split('<h2 id="sortis">')[1].split('<h2 id="presence">')[0]
    assert f'href="/gestion/rendez-vous/{leaver["id"]}"' in flagged and cue in flagged
    assert colleague["id"] not in flagged
    assert cue in client.get(f"/gestion/rendez-vous/{leaver['id']}", headers=staff_headers).text

    # The employer takes the proposal: the visit is cancelled and the cue leaves the desk.
    form = confirmation_form(client, headers, leaver["id"])
    done = client.post(
        f"/rendez-vous/{leaver['id']}/annulation", data=form | {"reason_code": "salarie_sorti"}, headers=headers
    )
    assert done.status_code == 302
    assert client.get(f"/api/scheduling/appointments/{leaver['id']}", headers=staff_headers).json["status"] == "annulee"
    assert '<h2 id="sortis">' not in client.get("/gestion/rendez-vous", headers=staff_headers).text
    assert "concerne un salarié sorti" not in client.get("/rendez-vous", headers=headers).text
