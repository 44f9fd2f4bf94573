"""The directory read models fed by members' and workforce's events, and the demo seed beside them."""

import pytest
from sqlalchemy import func, select

from portal_common.messaging import catalogue
from scheduling import demo
from scheduling.models import Appointment, EmployeeDirectoryEntry, MemberDirectoryEntry, VisitObligation

pytestmark = pytest.mark.integration

EMPLOYEE_ID = "0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12"
MEMBER_ID = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"


def rows(service, model):
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(model)))


def test_the_directory_handlers_apply_each_event_once_even_when_delivered_twice(service, process):
    hired = catalogue.example_envelope("workforce.employee.hired.v1")
    registered = catalogue.example_envelope("members.member.registered.v1")
    for envelope in (hired, registered):
        assert process(envelope) is True
        assert process(envelope) is False
    [employee] = rows(service, EmployeeDirectoryEntry)
    assert (
        employee.employee_id,
        employee.member_id,
        employee.last_name,
        employee.birth_date.isoformat(),
        employee.monitoring_category,
    ) == (EMPLOYEE_ID, MEMBER_ID, "DUPONT", "1985-08-14", "SI")
    [member] = rows(service, MemberDirectoryEntry)
    assert (member.member_number, member.name, member.address_line1, member.postal_code, member.city) == (
        "1000001",
        "Boulangerie Martin",
        "12 rue de la Gare",
        "68100",
        "MULHOUSE",
    )


def test_a_stale_version_is_ignored_and_a_newer_one_applied(service, deliver):
    deliver("workforce.employee.hired.v1", last_name="MARTIN", version=2)
    deliver("workforce.employee.hired.v1", last_name="DUPONT", version=1)  # arrives late: ignored
    [employee] = rows(service, EmployeeDirectoryEntry)
    assert (employee.last_name, employee.version) == ("MARTIN", 2)
    deliver("workforce.employee.hired.v1", last_name="MARTIN-DUPONT", version=3)
    [employee] = rows(service, EmployeeDirectoryEntry)
    assert (employee.last_name, employee.version) == ("MARTIN-DUPONT", 3)
    deliver("members.member.registered.v1", name="Boulangerie Martin", version=2)
    deliver("members.member.registered.v1", name="Ancien nom", version=1)
    assert [m.name for m in rows(service, MemberDirectoryEntry)] == ["Boulangerie Martin"]


DATASET = {
    "members": [
        {
            "id": MEMBER_ID,
            "member_number": "1000001",
            "name": "Boulangerie Martin (démo)",
            "address_line1": "12 rue de la Gare",
            "postal_code": "68100",
            "city": "MULHOUSE",
        }
    ],
    "employees": [
        {
            "id": EMPLOYEE_ID,
            "member_id": MEMBER_ID,
            "last_name": "DUPONT (démo)",
            "birth_name": "DUPONT",
            "first_names": "Marie Claire",
            "birth_date": "1985-08-14",
            "monitoring_category": "SI",
            "hire_date": "2023-09-01",
            "contract": "CDI",
            "nir": "285087514812345",
        }
    ],
    "appointments": [
        {
            "id": "3d2c1b0a-9f8e-4d7c-b6a5-0f1e2d3c4b5a",
            "member_id": MEMBER_ID,
            "employee_id": EMPLOYEE_ID,
            "starts_at": "2024-01-15T09:30:00+01:00",
            "duration_minutes": 20,
            "visit_type": "embauche",
            "place": {"name": "Centre médical de Mulhouse", "address": "4 rue des Fabriques, 68100 Mulhouse"},
            "professional_kind": "infirmier",
            "status": "realisee",
        },
        {
            "id": "4e3d2c1b-0a9f-4e8d-a7c6-1b2c3d4e5f60",
            "member_id": MEMBER_ID,
            "employee_id": EMPLOYEE_ID,
            "starts_at": "2099-06-02T14:00:00+02:00",
            "duration_minutes": 30,
            "visit_type": "periodique",
            "place": "Centre médical de Mulhouse, 4 rue des Fabriques, 68100 Mulhouse",
            "professional_kind": "medecin",
            "status": "convoquee",
        },
    ],
}


def test_the_demo_loads_once_and_the_real_events_then_change_nothing(service, deliver):
    demo.load(service.portal, DATASET)
    demo.load(service.portal, DATASET)
    with service.portal.db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 2
        future = session.get(Appointment, "4e3d2c1b-0a9f-4e8d-a7c6-1b2c3d4e5f60")
        assert (future.place_name, future.place_address) == (
            "Centre médical de Mulhouse",
            "4 rue des Fabriques, 68100 Mulhouse",
        )
        # The realised initial visit of 15 January 2024 starts the 5-year SI renewal.
        rules = {o.rule: o.due_on.isoformat() for o in session.scalars(select(VisitObligation))}
        assert rules == {"periodique_si": "2029-01-15", "mi_carriere": "2030-12-31"}
    events = service.events()
    assert [e.type for e in events] == ["scheduling.appointment.scheduled.v1"] * 2
    for event in events:
        catalogue.validate(event)
    # The same entities' version-1 events arrive afterwards: the seeded rows are already at that version.
    deliver("workforce.employee.hired.v1", last_name="DUPONT")
    deliver("members.member.registered.v1", name="Boulangerie Martin")
    assert [e.last_name for e in rows(service, EmployeeDirectoryEntry)] == ["DUPONT (démo)"]
    assert [m.name for m in rows(service, MemberDirectoryEntry)] == ["Boulangerie Martin (démo)"]
