"""Scheduling and reading appointments through the API, on PostgreSQL."""

from datetime import UTC, datetime, time, timedelta

import pytest

from portal_common.clock import utcnow
from portal_common.messaging import catalogue
from portal_common.testing import make_principal
from scheduling.appointments import use_cases as services
from scheduling.appointments.rules import Place, ScheduleCommand
from scheduling.business_calendar.rules import next_open_day

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",))
PLACE = {"name": "Centre médical de Mulhouse", "address": "4 rue des Fabriques, 68100 Mulhouse"}


def future(days: int) -> str:
    return datetime.combine(next_open_day((utcnow() + timedelta(days=days)).date()), time(9), tzinfo=UTC).isoformat()


def body(directory, **overrides):
    values = {
        "member_id": directory.member_a,
        "employee_id": directory.dupont,
        "starts_at": future(10),
        "duration_minutes": 30,
        "visit_type": "periodique",
        "place": PLACE,
        "professional_kind": "medecin",
        "status": "convoquee",
    }
    values.update(overrides)
    return values


def schedule_past(service, directory, starts_at: str, employee_id=None, member_id=None):
    return services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=member_id or directory.member_a,
            employee_id=employee_id or directory.dupont,
            starts_at=datetime.fromisoformat(starts_at),
            duration_minutes=20,
            visit_type="embauche",
            place=Place(**PLACE),
            professional_kind="infirmier",
            status="realisee",
            allow_past=True,
        ),
    )


def test_staff_scheduling_an_appointment_records_one_scheduled_event_matching_the_catalogue(service, directory):
    response = service.client().post(
        "/api/scheduling/appointments", json=body(directory), headers=service.headers(SECRETARY)
    )
    assert response.status_code == 201, response.json
    created = response.json
    assert created["employee"] == {
        "last_name": "MARTIN",
        "birth_name": "DUPONT",
        "first_names": "Marie Claire",
        "birth_date": "1985-08-14",
    }
    assert (created["status"], created["status_label"]) == ("convoquee", "Convoquée")
    assert created["visit_type_label"] == "Visite périodique"
    [event] = service.events()
    assert event.type == "scheduling.appointment.scheduled.v1"
    assert event.member_id == directory.member_a
    assert event.data["appointment_id"] == created["id"]
    assert event.data["place"] == PLACE
    assert datetime.fromisoformat(event.data["starts_at"]) == datetime.fromisoformat(created["starts_at"])
    catalogue.validate(event)


def test_an_invalid_body_gets_422_with_field_errors_and_writes_nothing(service, directory):
    bad = body(directory, duration_minutes=10, visit_type="bilan", starts_at="2030-01-15T09:30:00", unexpected="x")
    response = service.client().post("/api/scheduling/appointments", json=bad, headers=service.headers(SECRETARY))
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"duration_minutes", "visit_type", "starts_at", "unexpected"}
    listed = service.client().get("/api/scheduling/appointments?when=all", headers=service.headers(SECRETARY))
    assert listed.json == []
    assert service.events() == []


def test_a_past_date_or_another_companys_employee_is_refused_in_french_without_effect(service, directory):
    bad = body(directory, employee_id=directory.keller, starts_at=(utcnow() - timedelta(hours=1)).isoformat())
    response = service.client().post("/api/scheduling/appointments", json=bad, headers=service.headers(SECRETARY))
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "employee_id": "Ce salarié n'appartient pas à cet adhérent.",
        "starts_at": "Le rendez-vous doit être fixé dans le futur.",
    }
    assert service.events() == []


def test_upcoming_and_past_appointments_are_listed_apart_soonest_first(service, directory):
    client, headers = service.client(), service.headers(SECRETARY)
    later = client.post(
        "/api/scheduling/appointments", json=body(directory, starts_at=future(20)), headers=headers
    ).json
    sooner = client.post(
        "/api/scheduling/appointments", json=body(directory, starts_at=future(5)), headers=headers
    ).json
    old = schedule_past(service, directory, "2024-01-15T08:30:00+00:00")
    user = make_principal(member_id=directory.member_a, roles=("read",))
    get = lambda query="": client.get(f"/api/scheduling/appointments{query}", headers=service.headers(user)).json
    assert [a["id"] for a in get()] == [sooner["id"], later["id"]]
    assert [a["id"] for a in get("?when=past")] == [old.id]
    assert len(get("?when=all")) == 3
    assert client.get("/api/scheduling/appointments?when=soon", headers=service.headers(user)).status_code == 422


def test_a_member_never_sees_another_companys_appointments(service, directory):
    client = service.client()
    theirs = client.post(
        "/api/scheduling/appointments",
        headers=service.headers(SECRETARY),
        json=body(directory, member_id=directory.member_b, employee_id=directory.keller),
    ).json
    ours = client.post("/api/scheduling/appointments", json=body(directory), headers=service.headers(SECRETARY)).json
    headers = service.headers(make_principal(member_id=directory.member_a, roles=("admin",)))
    assert client.get(f"/api/scheduling/appointments/{theirs['id']}", headers=headers).status_code == 404
    assert client.get(f"/api/scheduling/appointments/{ours['id']}", headers=headers).status_code == 200
    # Asking for the other company, or for its employee, still only ever yields the current company's data.
    listed = client.get(f"/api/scheduling/appointments?member_id={directory.member_b}", headers=headers).json
    assert [a["id"] for a in listed] == [ours["id"]]
    assert client.get(f"/api/scheduling/appointments?employee_id={directory.keller}", headers=headers).json == []
    staff_view = client.get(
        f"/api/scheduling/appointments?member_id={directory.member_b}", headers=service.headers(SECRETARY)
    ).json
    assert [a["id"] for a in staff_view] == [theirs["id"]]


def test_only_secretariat_and_administration_staff_may_schedule(service, directory):
    client = service.client()
    member_admin = make_principal(member_id=directory.member_a, roles=("admin",))
    billing_staff = make_principal(staff_roles=("billing",))
    for principal in (member_admin, billing_staff):
        response = client.post("/api/scheduling/appointments", json=body(directory), headers=service.headers(principal))
        assert response.status_code == 403
    assert client.post("/api/scheduling/appointments", json=body(directory)).status_code == 401
    assert client.get("/api/scheduling/appointments").status_code == 401
    administrator = make_principal(staff_roles=("administration",))
    assert (
        client.post(
            "/api/scheduling/appointments", json=body(directory), headers=service.headers(administrator)
        ).status_code
        == 201
    )
    assert len(service.events()) == 1
