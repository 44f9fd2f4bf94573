"""Scheduling's batch reads for other services: one page of workforce's employee list (last visit, next visit
due) and identity's portfolio columns (visits overdue per client); dates and counts only, a service passport
only, each company's figures its own."""

from datetime import timedelta

import pytest

from portal_common.clock import utcnow
from portal_common.testing import make_principal
from scheduling.appointments import use_cases as services
from scheduling.appointments.rules import Place, ScheduleCommand

pytestmark = pytest.mark.integration

PLACE = Place("Centre médical de Mulhouse", "4 rue des Fabriques, 68100 Mulhouse")


def _visit(service, member_id, employee_id, starts_at):
    return services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=member_id,
            employee_id=employee_id,
            starts_at=starts_at,
            duration_minutes=30,
            visit_type="periodique",
            place=PLACE,
            professional_kind="medecin",
            status="realisee",
            allow_past=True,
        ),
    )


def test_the_employee_list_gets_each_employee_s_last_visit_within_its_company_only(service, directory):
    visited = (utcnow() - timedelta(days=40)).replace(hour=9, minute=0, second=0, microsecond=0)
    _visit(service, directory.member_a, directory.bernard, visited)
    _visit(service, directory.member_a, directory.bernard, visited - timedelta(days=300))
    client = service.client()
    workforce = service.headers(make_principal(user_id="service:workforce"))
    path = f"/internal/members/{directory.member_a}/employee-visits"
    body = {"employee_ids": [directory.bernard, directory.dupont]}
    answer = client.post(path, json=body, headers=workforce)
    assert answer.status_code == 200
    found = answer.json["employees"]
    assert found[directory.bernard]["last_visit_at"][:16] == visited.isoformat()[:16]  # the latest one
    assert found[directory.dupont]["last_visit_at"] is None
    # Asked under another company, the same employee has no visit: nothing crosses companies.
    other = client.post(f"/internal/members/{directory.member_b}/employee-visits", json=body, headers=workforce)
    assert other.json["employees"][directory.bernard]["last_visit_at"] is None
    # A user's passport is refused; a body that is not a list of ids is a 400.
    member = service.headers(make_principal(member_id=directory.member_a, roles=("admin",)))
    assert client.post(path, json=body, headers=member).status_code == 403
    assert client.post(path, json={"employee_ids": "x"}, headers=workforce).status_code == 400


def test_the_portfolio_gets_each_client_s_overdue_visits_in_one_read(service, directory):
    client = service.client()
    identity = service.headers(make_principal(user_id="service:identity"))
    answer = client.post(
        "/internal/portfolio", json={"member_ids": [directory.member_a, directory.member_b]}, headers=identity
    )
    assert answer.status_code == 200
    rows = answer.json["rows"]
    assert set(rows) == {directory.member_a, directory.member_b}
    assert all(isinstance(row["overdue_visits"], int) for row in rows.values())
    assert client.post("/internal/portfolio", json={"member_ids": 3}, headers=identity).status_code == 400
