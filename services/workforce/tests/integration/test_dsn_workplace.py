"""The workplace a DSN declares (S21.G00.40.019, the SIRET of the establishment where the employee works) is kept
on the employee record, on PostgreSQL: a hire keeps it (the API's `workplace_siret`, read-only in the OpenAPI, and
« Lieu de travail » on the employee's page), and a later DSN declaring another workplace shows the change in the
preview and applies it with the updated event."""

from datetime import date

import pytest

from bench.dsn_factory import dsn_bytes, people
from portal_common.messaging import catalogue
from workforce.models import EmployeeHistory

from .test_dsn_imports import (
    ADMIN,
    APRIL,
    MARCH,
    NIC,
    SIREN,
    apply,
    company,
    employees,
    imported,
    preview,
    status,
    work,
)

pytestmark = pytest.mark.integration
__all__ = ["company"]  # the fixture shared with test_dsn_imports

HEAD_OFFICE = SIREN + NIC  # 732 829 320 00074, the company's SIRET
SHOP = "73282932000082"  # the same company's other establishment, where the employee works


def applied(service, import_id: str) -> None:
    assert apply(service, import_id).status_code == 202
    work(service)
    assert status(service, import_id)["status"] == "done"


def test_a_dsn_hire_keeps_the_workplace_shown_by_the_api_and_on_the_employee_page(company):
    service = company
    staff = people(2)
    staff[1] = staff[1].but(workplace=SHOP)
    import_id = imported(service, ("mars.dsn", dsn_bytes(SIREN, NIC, MARCH, staff)))
    rows = preview(service, import_id)
    assert [row["changes"]["Lieu de travail"] for row in rows] == ["732 829 320 00074", "732 829 320 00082"]
    applied(service, import_id)
    by_birth = {e.birth_date: e for e in employees(service)}
    assert by_birth[staff[0].birth_date].workplace_siret == HEAD_OFFICE
    employee_id = by_birth[staff[1].birth_date].id
    shown = service.client().get(f"/api/workforce/employees/{employee_id}", headers=service.headers(ADMIN))
    assert shown.status_code == 200 and shown.json["workplace_siret"] == SHOP
    page = service.client().get(f"/salaries/{employee_id}", headers=service.headers(ADMIN))
    assert page.status_code == 200
    assert "<dt>Lieu de travail</dt><dd>SIRET 732 829 320 00082</dd>" in page.text
    spec = service.client().get("/api/workforce/openapi.json").json
    declared = spec["components"]["schemas"]["Employee"]["properties"]["workplace_siret"]
    assert declared["readOnly"] is True and declared["type"] == "string"
    for event in service.events():
        catalogue.validate(event)  # the hired events are unchanged


def test_a_second_dsn_with_another_workplace_shows_the_change_in_the_preview_and_applies_it(company):
    service = company
    staff = people(3)
    applied(service, imported(service, ("mars.dsn", dsn_bytes(SIREN, NIC, MARCH, staff))))
    before = {event.id for event in service.events()}
    april = [
        staff[0].but(workplace=SHOP),  # moved to the shop
        staff[1].but(workplace=SHOP, pcs_code="621a", job_label="Chef d'équipe"),  # moved with a new post
        staff[2],  # unchanged
    ]
    second = imported(service, ("avril.dsn", dsn_bytes(SIREN, NIC, APRIL, april)))
    state = status(service, second)
    assert {k: v for k, v in state["summary"].items() if v} == {"workplace": 2, "post_change": 1, "unchanged": 1}
    rows = preview(service, second)
    assert [row["actions"] for row in rows] == [["workplace"], ["post_change", "workplace"], ["unchanged"]]
    assert rows[0]["changes"] == {"Lieu de travail": "732 829 320 00074 → 732 829 320 00082"}
    assert rows[1]["changes"]["Lieu de travail"] == "732 829 320 00074 → 732 829 320 00082"
    page = service.client().get(f"/salaries/dsn/{second}", headers=service.headers(ADMIN)).text
    assert "<li>Nouveau lieu de travail : 2</li>" in page
    assert "<strong>Lieu de travail</strong> : 732 829 320 00074 → 732 829 320 00082" in page
    applied(service, second)
    assert status(service, second)["changed_employees"] == 2
    by_birth = {e.birth_date: e for e in employees(service)}
    moved, promoted, stayed = (by_birth[person.birth_date] for person in staff)
    assert (moved.workplace_siret, stayed.workplace_siret) == (SHOP, HEAD_OFFICE)
    assert (promoted.workplace_siret, promoted.post, promoted.post_since) == (SHOP, "Chef d'équipe", APRIL)
    assert moved.version == 2 and stayed.version == 1
    events = [event for event in service.events() if event.id not in before]
    assert sorted((e.type, e.subject) for e in events) == sorted(
        [
            ("workforce.employee.updated.v1", moved.id),
            ("workforce.employee.updated.v1", promoted.id),
            ("workforce.employee.post_changed.v1", promoted.id),
        ]
    )
    for event in events:
        catalogue.validate(event)
    with service.portal.db.session_factory() as session:
        kinds = [h.kind for h in session.query(EmployeeHistory).filter_by(employee_id=moved.id)]
    assert sorted(kinds) == ["corrected", "hired"]
    shown = service.client().get(f"/api/workforce/employees/{moved.id}", headers=service.headers(ADMIN)).json
    assert shown["workplace_siret"] == SHOP and shown["version"] == 2
    assert date.fromisoformat(shown["hire_date"]) == staff[0].start
