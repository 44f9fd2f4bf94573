"""The real calendar (public holidays and Sundays refused, the regional calendar as a setting), slots staff close or
delete, and cancellations that carry a reason to the other side (page, desk, API, e-mail)."""

from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

import pytest

from portal_common.clock import utcnow
from portal_common.testing import make_principal
from scheduling.appointments import use_cases as services
from scheduling.appointments.rules import Place, ScheduleCommand
from scheduling.business_calendar.rules import HolidayCalendar, next_open_day

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",))
CENTRE = {"name": "Centre médical de Mulhouse", "address": "4 rue des Fabriques, 68100 Mulhouse"}


def slot_body(starts_at: str, **overrides):
    return {
        "centre": CENTRE,
        "professional_kind": "medecin",
        "professional_name": "Dr Claire Weber",
        "starts_at": starts_at,
        "duration_minutes": 30,
    } | overrides


def open_day(days: int) -> str:
    return datetime.combine(
        next_open_day((utcnow() + timedelta(days=days)).date()), clock_time(9), tzinfo=UTC
    ).isoformat()


def csrf(service, headers) -> str:
    page = service.client().get("/gestion/rendez-vous", headers=headers).text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def future_year() -> int:
    return utcnow().year + 2


def test_a_slot_on_christmas_or_on_a_sunday_is_refused_with_the_holiday_named_on_the_api_and_the_page(service):
    year = future_year()
    christmas = service.client().post(
        "/api/scheduling/slots", json=slot_body(f"{year}-12-25T09:00:00+01:00"), headers=service.headers(SECRETARY)
    )
    assert christmas.status_code == 422
    assert christmas.json["errors"]["json"]["starts_at"] == (
        f"Le 25/12/{year} est férié (Noël) : aucun créneau ne peut y être ouvert."
    )
    sunday = next(date(year, 6, d) for d in range(1, 8) if date(year, 6, d).weekday() == 6)
    page = service.client().post(
        "/gestion/rendez-vous/creneaux",
        data={
            "centre_name": CENTRE["name"],
            "centre_address": CENTRE["address"],
            "professional_kind": "medecin",
            "professional_name": "Dr Claire Weber",
            "day": sunday.isoformat(),
            "time": "09:00",
            "duration_minutes": "30",
            "capacity": "1",
            "csrf_token": csrf(service, service.headers(SECRETARY)),
        },
        headers=service.headers(SECRETARY),
    )
    assert page.status_code == 422
    assert f"Le {sunday.strftime('%d/%m/%Y')} est un dimanche : aucun créneau ne peut y être ouvert." in page.text
    assert service.client().get("/api/scheduling/slots", headers=service.headers(SECRETARY)).json == []


def test_the_alsace_moselle_calendar_refuses_boxing_day_and_counts_it_out_of_the_cancellation_notice(
    service, directory, monkeypatch
):
    year = future_year()
    boxing_day = f"{year}-12-26T09:00:00+01:00"
    # Metropolitan France works on 26 December unless it is a Sunday.
    if date(year, 12, 26).weekday() != 6:
        assert (
            service.client()
            .post("/api/scheduling/slots", json=slot_body(boxing_day), headers=service.headers(SECRETARY))
            .status_code
            == 201
        )
    monkeypatch.setattr(service.portal.settings, "holiday_calendar", HolidayCalendar.ALSACE_MOSELLE)
    refused = service.client().post(
        "/api/scheduling/slots", json=slot_body(boxing_day), headers=service.headers(SECRETARY)
    )
    assert refused.status_code == 422
    assert "(Saint-Étienne)" in refused.json["errors"]["json"]["starts_at"]
    # Tuesday 30 December 2031: 26 December 2031 is a Friday, a holiday in Alsace-Moselle only.
    visit = services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=directory.member_a,
            employee_id=directory.dupont,
            starts_at=datetime(2031, 12, 30, 9, tzinfo=UTC),
            duration_minutes=30,
            visit_type="periodique",
            place=Place(**CENTRE),
            professional_kind="medecin",
            status="convoquee",
        ),
    )
    assert services.visit_cancellation_limit(service.portal, visit) == date(2031, 12, 23)
    monkeypatch.setattr(service.portal.settings, "holiday_calendar", HolidayCalendar.METROPOLE)
    assert services.visit_cancellation_limit(service.portal, visit) == date(2031, 12, 24)


def test_staff_close_a_slot_which_then_takes_no_visit_and_delete_a_free_one_but_not_a_booked_one(service, directory):
    client, headers = service.client(), service.headers(SECRETARY)
    booked = client.post("/api/scheduling/slots", json=slot_body(open_day(30), capacity=2), headers=headers).json
    due = next(
        o
        for o in client.get(f"/api/scheduling/obligations?employee_id={directory.dupont}", headers=headers).json
        if o["rule"] == "vip_initiale"
    )
    placed = client.post(
        f"/api/scheduling/slots/{booked['id']}/placements", json={"obligation_id": due["id"]}, headers=headers
    )
    assert placed.status_code == 201
    refused = client.delete(f"/api/scheduling/slots/{booked['id']}", headers=headers)
    assert refused.status_code == 409
    assert "Ce créneau porte un rendez-vous" in refused.json["errors"]["json"]["slot_id"]
    closed = client.post(f"/api/scheduling/slots/{booked['id']}/closure", headers=headers)
    assert closed.status_code == 200 and closed.json["closed"] is True and closed.json["booked"] == 1
    assert client.post(f"/api/scheduling/slots/{booked['id']}/closure", headers=headers).status_code == 409
    other = next(
        o
        for o in client.get(f"/api/scheduling/obligations?employee_id={directory.bernard}", headers=headers).json
        if o["rule"] == "vip_initiale"
    )
    into_closed = client.post(
        f"/api/scheduling/slots/{booked['id']}/placements", json={"obligation_id": other["id"]}, headers=headers
    )
    assert into_closed.status_code == 422
    assert into_closed.json["errors"]["json"]["slot_id"] == "Ce créneau est fermé : choisissez-en un autre."
    desk = client.get("/gestion/rendez-vous", headers=headers).text
    assert f'<option value="{booked["id"]}"' not in desk and "Fermé" in desk
    free = client.post("/api/scheduling/slots", json=slot_body(open_day(31)), headers=headers).json
    page = client.post(
        f"/gestion/rendez-vous/creneaux/{free['id']}/suppression",
        data={"csrf_token": csrf(service, headers)},
        headers=headers,
    )
    assert page.status_code == 302
    assert [s["id"] for s in client.get("/api/scheduling/slots", headers=headers).json] == [booked["id"]]


def test_a_slot_kept_from_before_the_regional_calendar_is_listed_with_why_but_never_offered_nor_placed_into(
    service, directory, monkeypatch
):
    client, headers = service.client(), service.headers(SECRETARY)
    year = next(y for y in range(future_year(), future_year() + 7) if date(y, 12, 26).weekday() < 5)
    kept = client.post("/api/scheduling/slots", json=slot_body(f"{year}-12-26T09:00:00+01:00"), headers=headers)
    assert kept.status_code == 201  # a working day in metropolitan France
    monkeypatch.setattr(service.portal.settings, "holiday_calendar", HolidayCalendar.ALSACE_MOSELLE)
    reason = f"Le 26/12/{year} est férié (Saint-Étienne) : aucun rendez-vous ne peut y être fixé."
    desk = client.get("/gestion/rendez-vous", headers=headers).text
    assert f'<option value="{kept.json["id"]}"' not in desk  # no « Convoquer » menu offers it
    assert reason.replace("'", "&#39;") in desk  # the slots' table says why, so staff close or delete it
    due = next(
        o
        for o in client.get(f"/api/scheduling/obligations?employee_id={directory.dupont}", headers=headers).json
        if o["rule"] == "vip_initiale"
    )
    placed = client.post(
        f"/api/scheduling/slots/{kept.json['id']}/placements", json={"obligation_id": due["id"]}, headers=headers
    )
    assert placed.status_code == 422 and placed.json["errors"]["json"]["slot_id"] == reason
    assert client.delete(f"/api/scheduling/slots/{kept.json['id']}", headers=headers).status_code == 204


def hidden(page: str, action: str) -> dict[str, str]:
    form = page.split(f'action="{action}"')[1].split("</form>")[0]
    return {
        name: form.split(f'name="{name}" value="')[1].split('"')[0] for name in ("csrf_token", "form_token", "version")
    }


def convoked(service, directory, employee_id, days=30):
    client, headers = service.client(), service.headers(SECRETARY)
    slot = client.post("/api/scheduling/slots", json=slot_body(open_day(days)), headers=headers).json
    due = next(
        o
        for o in client.get(f"/api/scheduling/obligations?employee_id={employee_id}", headers=headers).json
        if o["rule"] == "vip_initiale"
    )
    return client.post(
        f"/api/scheduling/slots/{slot['id']}/placements", json={"obligation_id": due["id"]}, headers=headers
    ).json


def test_the_employer_confirms_with_a_reason_which_staff_read_on_the_desk_and_the_visit(service, directory):
    visit = convoked(service, directory, directory.dupont)
    employer = make_principal(member_id=directory.member_a, roles=("admin",))
    client, headers = service.client(), service.headers(employer)
    action = f"/rendez-vous/{visit['id']}/annulation"
    page = client.get(action, headers=headers).text
    assert "Salarié absent/malade" in page and "Autre (préciser)" in page and "pré-reprise" not in page
    form = hidden(page, action)
    missing = client.post(action, data=form | {"reason_code": "autre"}, headers=headers)
    assert missing.status_code == 422 and "Précisez le motif de l&#39;annulation." in missing.text
    form = hidden(missing.text, action)
    second_tab = hidden(client.get(action, headers=headers).text, action)
    done = client.post(
        action, data=form | {"reason_code": "contrainte_service", "reason_text": "Inventaire annuel"}, headers=headers
    )
    assert done.status_code == 302
    staff = service.headers(SECRETARY)
    desk = service.client().get("/gestion/rendez-vous", headers=staff).text
    recent = desk.split('<h2 id="annulations">')[1].split("</section>")[0]
    assert "par l&#39;adhérent" in recent and "Contrainte de service — Inventaire annuel" in recent
    detail = service.client().get(f"/gestion/rendez-vous/{visit['id']}", headers=staff).text
    assert "Par l&#39;adhérent" in detail and "motif : Contrainte de service — Inventaire annuel" in detail
    # A second tab opened before the cancellation is refused: the visit changed since it was read.
    again = client.post(action, data=second_tab | {"reason_code": "salarie_absent"}, headers=headers)
    assert again.status_code == 409 and "modifié entre-temps" in again.text


def test_staff_cancel_from_the_desk_with_a_reason_the_employer_reads_in_the_list_and_the_email(
    service, directory, deliver, portal_env
):
    deliver(
        "members.member.updated.v1",
        member_id=directory.member_a,
        version=2,
        convocation_email="rh@boulangerie-martin.fr",
    )
    visit = convoked(service, directory, directory.bernard)
    staff = service.headers(SECRETARY)
    action = f"/gestion/rendez-vous/{visit['id']}/annulation"
    page = service.client().get(f"/gestion/rendez-vous/{visit['id']}", headers=staff).text
    assert "Professionnel de santé indisponible" in page
    form = hidden(page, action)
    unknown = service.client().post(action, data=form | {"reason_code": "salarie_sorti"}, headers=staff)
    assert unknown.status_code == 422 and "Motif inconnu" in unknown.text
    form = hidden(unknown.text, action)
    done = service.client().post(
        action,
        data=form | {"reason_code": "professionnel_indisponible", "reason_text": "Dr Weber en congé"},
        headers=staff,
    )
    assert done.status_code == 302
    employer = make_principal(member_id=directory.member_a, roles=("admin",))
    mine = service.client().get("/rendez-vous", headers=service.headers(employer)).text
    assert "Annulé par le service : Professionnel de santé indisponible — Dr Weber en congé" in mine
    api = service.client().get(f"/api/scheduling/appointments/{visit['id']}", headers=service.headers(employer)).json
    assert api["cancellation"]["cancelled_by"] == "staff"
    assert api["cancellation"]["reason_code"] == "professionnel_indisponible"
    assert service.deliver_mail() >= 1
    mail = portal_env.smtp.wait_for(
        lambda m: m["To"] == "rh@boulangerie-martin.fr" and m["Subject"].startswith("Annulation de la visite")
    )
    assert "Motif : Professionnel de santé indisponible — Dr Weber en congé" in mail.get_content()


def test_the_api_needs_a_reason_from_the_side_s_list_and_answers_french_422s(service, directory):
    visit = convoked(service, directory, directory.dupont)
    employer = service.headers(make_principal(member_id=directory.member_a, roles=("admin",)))
    path = f"/api/scheduling/appointments/{visit['id']}/cancellation"
    client = service.client()
    assert "reason_code" in client.post(path, json={}, headers=employer).json["errors"]["json"]
    staff_only = client.post(path, json={"reason_code": "centre_ferme"}, headers=employer)
    assert staff_only.status_code == 422
    assert staff_only.json["errors"]["json"]["reason_code"] == "Motif inconnu : choisissez-en un de la liste."
    other = client.post(path, json={"reason_code": "autre", "reason_text": "  "}, headers=employer)
    assert other.json["errors"]["json"]["reason_text"] == "Précisez le motif de l'annulation."
    stale = client.post(path, json={"reason_code": "salarie_absent", "version": visit["version"] + 5}, headers=employer)
    assert stale.status_code == 409
    done = client.post(path, json={"reason_code": "salarie_absent", "version": visit["version"]}, headers=employer)
    assert done.status_code == 200
    assert done.json["cancellation"]["reason_label"] == "Salarié absent/malade"
