"""Slots, placement with convocation, cancellation limits, attendance, documents and the iCalendar export."""

import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal_common.clock import utcnow
from portal_common.messaging import catalogue
from portal_common.testing import make_principal
from scheduling.appointments import use_cases as services
from scheduling.appointments.rules import Place, ScheduleCommand
from scheduling.business_calendar.rules import next_open_day
from scheduling.models import Appointment

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",))
CENTRE = {"name": "Centre médical de Mulhouse", "address": "4 rue des Fabriques, 68100 Mulhouse"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def open_slot(service, days=30, kind="medecin", capacity=1):
    # Visits are held on open days only: the slot moves past a Sunday or a public holiday.
    starts = next_open_day((utcnow() + timedelta(days=days)).date()).strftime("%Y-%m-%dT08:30:00+00:00")
    response = service.client().post(
        "/api/scheduling/slots",
        headers=service.headers(SECRETARY),
        json={
            "centre": CENTRE,
            "professional_kind": kind,
            "professional_name": "Dr Claire Weber",
            "starts_at": starts,
            "duration_minutes": 30,
            "capacity": capacity,
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def obligation_of(service, employee_id, rule="vip_initiale"):
    rows = (
        service.client()
        .get(f"/api/scheduling/obligations?employee_id={employee_id}", headers=service.headers(SECRETARY))
        .json
    )
    return next(o for o in rows if o["rule"] == rule)


def place(service, slot_id, **body):
    return service.client().post(
        f"/api/scheduling/slots/{slot_id}/placements", json=body, headers=service.headers(SECRETARY)
    )


def past_visit(service, directory, status="convoquee", visit_type="embauche", employee_id=None):
    return services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=directory.member_a,
            employee_id=employee_id or directory.dupont,
            starts_at=utcnow() - timedelta(days=2),
            duration_minutes=30,
            visit_type=visit_type,
            place=Place(**CENTRE),
            professional_kind="infirmier",
            status=status,
            allow_past=True,
        ),
    )


def test_placing_a_due_visit_convokes_it_and_emails_the_convocation_contact(service, directory, deliver, portal_env):
    deliver(
        "members.member.updated.v1",
        member_id=directory.member_a,
        version=2,
        convocation_email="rh@boulangerie-martin.fr",
    )
    slot = open_slot(service, kind="infirmier")
    response = place(service, slot["id"], obligation_id=obligation_of(service, directory.dupont)["id"])
    assert response.status_code == 201, response.json
    appointment = response.json
    assert (appointment["status"], appointment["visit_type"], appointment["place"]) == ("convoquee", "embauche", CENTRE)
    types = [e.type for e in service.events()]
    assert types == ["scheduling.appointment.scheduled.v1", "scheduling.document.published.v1"]
    for event in service.events():
        catalogue.validate(event)
    assert service.deliver_mail() == 1
    # The run's SMTP server holds every earlier test's mails too (another convocation to this address among them).
    mail = portal_env.smtp.wait_for(
        lambda m: (
            m["To"] == "rh@boulangerie-martin.fr"
            and m["Subject"].startswith("Convocation du ")
            and "MARTIN Marie Claire" in m.get_content()
        )
    )
    body = mail.get_content()
    assert "MARTIN Marie Claire" in body and "Centre médical de Mulhouse" in body and "jusqu'au" in body
    assert mail["Subject"].startswith("Convocation du ")
    # The obligation now shows as planned, and the employer can open the convocation PDF.
    assert obligation_of(service, directory.dupont)["planned"] == "planifiee"
    employer = make_principal(member_id=directory.member_a, roles=("read",))
    [document] = service.client().get("/api/scheduling/documents", headers=service.headers(employer)).json
    pdf = service.client().get(document["download_path"], headers=service.headers(employer))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    other = make_principal(member_id=directory.member_b, roles=("admin",))
    assert service.client().get(document["download_path"], headers=service.headers(other)).status_code == 404


def test_a_slot_beyond_its_capacity_or_held_by_the_wrong_professional_is_refused(service, directory):
    nurse = open_slot(service, kind="infirmier", capacity=1)
    assert place(service, nurse["id"], obligation_id=obligation_of(service, directory.dupont)["id"]).status_code == 201
    full = place(service, nurse["id"], obligation_id=obligation_of(service, directory.bernard)["id"])
    assert full.status_code == 422 and "complet" in full.json["errors"]["json"]["slot_id"]
    employer = make_principal(member_id=directory.member_b, roles=("admin",))
    request = (
        service.client()
        .post(
            "/api/scheduling/requests",
            headers=service.headers(employer),
            json={
                "employee_id": directory.keller,
                "visit_type": "reprise",
                "return_date": (utcnow() + timedelta(days=3)).date().isoformat(),
            },
        )
        .json
    )
    other_nurse = open_slot(service, kind="infirmier", days=31)
    wrong = place(service, other_nurse["id"], request_id=request["id"])
    assert wrong.status_code == 422 and "médecin du travail" in wrong.json["errors"]["json"]["slot_id"]
    both = place(service, other_nurse["id"], request_id=request["id"], obligation_id=request["id"])
    assert both.status_code == 422
    doctor = open_slot(service, kind="medecin", days=32)
    assert place(service, doctor["id"], request_id=request["id"]).status_code == 201
    listed = service.client().get("/api/scheduling/requests", headers=service.headers(employer)).json
    assert listed == []  # placed: no longer open


def test_the_employer_cancels_in_time_but_is_refused_too_late_and_the_visit_stays(service, directory):
    employer = make_principal(member_id=directory.member_a, roles=("admin",))
    client, headers = service.client(), service.headers(employer)
    later = place(
        service, open_slot(service, days=30)["id"], obligation_id=obligation_of(service, directory.dupont)["id"]
    ).json
    soon = place(
        service, open_slot(service, days=1)["id"], obligation_id=obligation_of(service, directory.bernard)["id"]
    ).json
    cancelled = client.post(
        f"/api/scheduling/appointments/{later['id']}/cancellation",
        json={"reason_code": "salarie_absent"},
        headers=headers,
    )
    assert cancelled.status_code == 200 and cancelled.json["status"] == "annulee"
    event = service.events()[-1]
    assert (event.type, event.data["cancelled_by"]) == ("scheduling.appointment.cancelled.v1", "employer")
    catalogue.validate(event)
    refused = client.post(
        f"/api/scheduling/appointments/{soon['id']}/cancellation",
        json={"reason_code": "salarie_absent"},
        headers=headers,
    )
    assert refused.status_code == 422
    message = refused.json["errors"]["json"]["appointment_id"]
    assert message.startswith("Annulation refusée : elle était possible jusqu'au ") and "3 jours ouvrés" in message
    assert client.get(f"/api/scheduling/appointments/{soon['id']}", headers=headers).json["status"] == "convoquee"
    other = make_principal(member_id=directory.member_b, roles=("admin",))
    assert (
        client.post(
            f"/api/scheduling/appointments/{soon['id']}/cancellation",
            json={"reason_code": "salarie_absent"},
            headers=service.headers(other),
        ).status_code
        == 404
    )


def test_an_unexcused_absence_publishes_the_missed_event_billing_uses(service, directory):
    visit = past_visit(service, directory)
    response = service.client().post(
        f"/api/scheduling/appointments/{visit.id}/outcome",
        json={"status": "absent_non_excuse"},
        headers=service.headers(SECRETARY),
    )
    assert response.status_code == 200 and response.json["status_label"] == "Absent non excusé"
    event = service.events()[-1]
    assert event.type == "scheduling.appointment.missed.v1"
    assert (event.data["appointment_id"], event.data["version"]) == (visit.id, 2)
    catalogue.validate(event)
    again = service.client().post(
        f"/api/scheduling/appointments/{visit.id}/outcome",
        json={"status": "realisee"},
        headers=service.headers(SECRETARY),
    )
    # Recorded once: a second outcome is a conflict with the first (409), named by its reason.
    assert again.status_code == 409 and again.json["reason"] == "appointment_outcome_already_recorded"


def test_a_realised_initial_visit_turns_the_obligation_into_the_periodic_renewal(service, directory):
    visit = past_visit(service, directory)
    assert obligation_of(service, directory.dupont, "vip_initiale")
    response = service.client().post(
        f"/api/scheduling/appointments/{visit.id}/outcome",
        json={"status": "realisee"},
        headers=service.headers(SECRETARY),
    )
    assert response.status_code == 200
    renewal = obligation_of(service, directory.dupont, "periodique_si")
    seen_on = visit.starts_at.date()
    assert renewal["due_on"] == seen_on.replace(year=seen_on.year + 5).isoformat()
    assert service.events()[-1].type == "scheduling.appointment.attended.v1"
    catalogue.validate(service.events()[-1])


def test_staff_publish_the_attestation_and_only_that_company_sees_it(service, directory):
    visit = past_visit(service, directory, status="realisee")
    client = service.client()
    desk = client.get("/gestion/rendez-vous", headers=service.headers(SECRETARY)).text
    token = desk.split('name="csrf_token" value="')[1].split('"')[0]
    not_pdf = client.post(
        f"/gestion/rendez-vous/{visit.id}/document",
        headers=service.headers(SECRETARY),
        data={"csrf_token": token, "kind": "attestation_suivi", "file": (io.BytesIO(b"hello"), "a.txt")},
        content_type="multipart/form-data",
    )
    assert not_pdf.status_code == 422 and service.events()[-1].type != "scheduling.document.published.v1"
    assert f'id="file-{visit.id}-error">Le document doit être un fichier PDF.</p>' in not_pdf.text
    published = client.post(
        f"/gestion/rendez-vous/{visit.id}/document",
        headers=service.headers(SECRETARY),
        data={"csrf_token": token, "kind": "attestation_suivi", "file": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert published.status_code == 302
    event = service.events()[-1]
    assert event.type == "scheduling.document.published.v1" and event.data["kind"] == "attestation_suivi"
    catalogue.validate(event)
    employer = make_principal(member_id=directory.member_a, roles=("read",))
    page = client.get("/rendez-vous", headers=service.headers(employer)).text
    assert event.data["download_path"] in page
    assert client.get(event.data["download_path"], headers=service.headers(employer)).data == PDF
    other = make_principal(member_id=directory.member_b, roles=("read",))
    assert client.get("/api/scheduling/documents", headers=service.headers(other)).json == []
    assert client.get(event.data["download_path"], headers=service.headers(other)).status_code == 404


def test_the_icalendar_export_lists_the_companys_upcoming_visits_only(service, directory):
    mine = place(
        service, open_slot(service, days=20)["id"], obligation_id=obligation_of(service, directory.dupont)["id"]
    ).json
    theirs = place(
        service, open_slot(service, days=21)["id"], obligation_id=obligation_of(service, directory.keller)["id"]
    ).json
    past_visit(service, directory, status="realisee", employee_id=directory.bernard)
    employer = make_principal(member_id=directory.member_a, roles=("read",))
    response = service.client().get("/rendez-vous/agenda.ics", headers=service.headers(employer))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.data.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.count("BEGIN:VEVENT") == 1
    assert f"UID:{mine['id']}@rendez-vous.portail" in text and theirs["id"] not in text
    starts = datetime.fromisoformat(mine["starts_at"])
    assert f"DTSTART:{starts.strftime('%Y%m%dT%H%M%SZ')}" in text
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Visite d'information et de prévention initiale — MARTIN Marie Claire\r\n" in unfolded
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_slot_and_outcome_writes_are_for_scheduling_staff_only(service, directory):
    client = service.client()
    employer = make_principal(member_id=directory.member_a, roles=("admin",))
    billing = make_principal(staff_roles=("billing",))
    for principal in (employer, billing):
        assert client.post("/api/scheduling/slots", json={}, headers=service.headers(principal)).status_code == 403
    assert client.get("/api/scheduling/slots", headers=service.headers(employer)).status_code == 403
    assert client.post("/api/scheduling/slots", json={}).status_code == 401
    with service.portal.db.session_factory() as session:
        assert session.scalars(select(Appointment)).all() == []


def test_the_page_refuses_a_late_cancellation_with_the_limit_and_keeps_the_visit(service, directory):
    soon = place(
        service, open_slot(service, days=1)["id"], obligation_id=obligation_of(service, directory.dupont)["id"]
    ).json
    employer = make_principal(member_id=directory.member_a, roles=("admin",))
    client, headers = service.client(), service.headers(employer)
    page = client.get("/rendez-vous", headers=headers).text
    # Past the limit the page no longer offers the button; a request crafted anyway is still refused.
    assert f'href="/rendez-vous/{soon["id"]}/annulation"' not in page and "Annulation en ligne close" in page
    confirmation = client.get(f"/rendez-vous/{soon['id']}/annulation", headers=headers).text
    assert "Confirmer l&#39;annulation" not in confirmation and "Annulation en ligne close depuis le" in confirmation
    token = client.get("/rendez-vous/demande", headers=headers).text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(
        f"/rendez-vous/{soon['id']}/annulation",
        data={"csrf_token": token, "reason_code": "salarie_absent", "version": str(soon["version"])},
        headers=headers,
    )
    assert refused.status_code == 422
    assert "Annulation refusée : elle était possible jusqu&#39;au" in refused.text
    assert client.get(f"/api/scheduling/appointments/{soon['id']}", headers=headers).json["status"] == "convoquee"


def test_a_due_visit_already_convoked_is_not_convoked_a_second_time(service, directory):
    due = obligation_of(service, directory.dupont)
    first = place(service, open_slot(service, days=30, capacity=2)["id"], obligation_id=due["id"])
    assert first.status_code == 201
    again = place(service, open_slot(service, days=31, capacity=2)["id"], obligation_id=due["id"])
    assert again.status_code == 422
    assert "déjà convoquée pour ce salarié" in again.json["errors"]["json"]["obligation_id"]
    with service.portal.db.session_factory() as session:
        visits = session.scalars(select(Appointment).where(Appointment.employee_id == directory.dupont)).all()
    assert [v.id for v in visits] == [first.json["id"]]
    # Once the first is cancelled the visit can be convoked again.
    services.cancel_appointment(
        service.portal, first.json["id"], member_id=None, today=utcnow().date(), reason_code="autre", reason_text="Test"
    )
    assert place(service, open_slot(service, days=32)["id"], obligation_id=due["id"]).status_code == 201
