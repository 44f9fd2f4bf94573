"""Hiring employees through the API, on PostgreSQL: events, validation, access and company isolation."""

import pytest
from sqlalchemy import select

from portal_common.messaging import catalogue
from portal_common.testing import make_principal
from workforce.models import Employee

pytestmark = pytest.mark.integration

COMPANY_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
COMPANY_B = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
CLEAR_NIR = "255081416802538"
VALID = {
    "last_name": "Dupont",
    "birth_name": "Martin",
    "first_names": "Marie Claire",
    "sex": "F",
    "birth_date": "1955-08-14",
    "nir": "2 55 08 14 168 025 38",
    "hire_date": "2024-03-01",
    "post": "Vendeuse",
    "pcs_code": "552a",
    "contract": "CDI",
    "multi_employer": True,
    "birth_commune": "14118",
}
ADMIN_A = make_principal(member_id=COMPANY_A, roles=("admin",))
READER_A = make_principal(member_id=COMPANY_A, roles=("read",))
ADMIN_B = make_principal(member_id=COMPANY_B, roles=("admin",), member_name="Autre entreprise")
SECRETARY = make_principal(staff_roles=("secretariat",))


def hire(service, principal, **overrides):
    return service.client().post(
        "/api/workforce/employees", json=dict(VALID, **overrides), headers=service.headers(principal)
    )


def outbox_bodies(service) -> list[str]:
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(service.portal.outbox.table.c.body)))


def stored_employees(service) -> list[Employee]:
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(Employee)))


def test_hiring_records_one_hired_event_matching_the_catalogue_and_never_the_nir(service):
    response = hire(service, ADMIN_A)
    assert response.status_code == 201
    body = response.json
    assert (body["member_id"], body["last_name"], body["birth_name"], body["nir_masked"]) == (
        COMPANY_A,
        "DUPONT",
        "MARTIN",
        "2 55 08 ** *** *** 38",
    )
    assert "nir" not in body and "nir_hash" not in body
    [event] = service.events()
    assert event.type == "workforce.employee.hired.v1"
    assert (event.subject, event.member_id, event.data["employee_id"]) == (body["id"], COMPANY_A, body["id"])
    catalogue.validate(event)
    [raw] = outbox_bodies(service)
    [employee] = stored_employees(service)
    for secret in (CLEAR_NIR, VALID["nir"], employee.nir_hash, employee.nir_masked):
        assert secret not in raw
    stored_values = " ".join(str(value) for value in vars(employee).values())
    assert CLEAR_NIR not in stored_values and len(employee.nir_hash) == 64


def test_a_nir_with_a_wrong_key_gets_422_in_french_and_writes_nothing(service):
    response = hire(service, ADMIN_A, nir="255081416802539")
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "nir": "La clé du numéro de sécurité sociale est incorrecte : vérifiez le numéro."
    }
    assert stored_employees(service) == []
    assert service.events() == []


def test_an_invalid_body_gets_422_with_field_errors_and_writes_nothing(service):
    body = dict(VALID, contract="freelance", unexpected="x")
    del body["first_names"]
    response = service.client().post("/api/workforce/employees", json=body, headers=service.headers(ADMIN_A))
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"contract", "unexpected", "first_names"}
    assert stored_employees(service) == []
    assert service.events() == []


def test_a_hire_before_15_years_of_age_is_refused_with_the_french_message(service):
    response = hire(service, ADMIN_A, birth_date="2010-03-02", hire_date="2025-03-01")
    assert response.status_code == 422
    assert response.json["errors"]["json"]["hire_date"] == "Le salarié doit avoir au moins 15 ans à l'embauche."
    assert service.events() == []


def test_a_member_user_can_never_hire_under_another_company_id(service):
    response = hire(service, ADMIN_A, member_id=COMPANY_B)
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"member_id": ["Unknown field."]}
    assert stored_employees(service) == []
    assert service.events() == []


def test_a_member_never_sees_another_companys_employees(service):
    created = hire(service, ADMIN_A).json
    hire(
        service,
        ADMIN_B,
        last_name="Bernard",
        birth_name=None,
        first_names="Luc",
        sex="M",
        nir="186022A21532523",
        birth_date="1986-02-10",
        birth_commune="2A215",
    )
    client = service.client()
    listed = client.get("/api/workforce/employees", headers=service.headers(ADMIN_B)).json
    assert [e["last_name"] for e in listed] == ["BERNARD"]
    assert client.get(f"/api/workforce/employees/{created['id']}", headers=service.headers(ADMIN_B)).status_code == 404
    # Passing another company's id as a filter changes nothing for a member user.
    filtered = client.get(f"/api/workforce/employees?member_id={COMPANY_A}", headers=service.headers(ADMIN_B)).json
    assert [e["last_name"] for e in filtered] == ["BERNARD"]
    assert "DUPONT" not in client.get("/salaries", headers=service.headers(ADMIN_B)).text
    mine = client.get(f"/api/workforce/employees/{created['id']}", headers=service.headers(READER_A))
    assert mine.status_code == 200 and mine.json["nir_masked"] == "2 55 08 ** *** *** 38"


def test_the_access_rules_of_the_api(service):
    client = service.client()
    assert hire(service, READER_A).status_code == 403
    assert hire(service, make_principal(staff_roles=("billing",))).status_code == 403
    assert hire(service, make_principal(member_id=COMPANY_A, roles=("declaration",))).status_code == 201
    assert client.post("/api/workforce/employees", json=VALID).status_code == 401
    assert client.get("/api/workforce/employees").status_code == 401
    no_company = make_principal(roles=("admin",))
    assert client.get("/api/workforce/employees", headers=service.headers(no_company)).status_code == 403
    assert len(service.events()) == 1


def test_staff_hire_for_a_known_member_and_list_one_company(service):
    from workforce.directory.handlers import on_member_registered

    with service.portal.db.session_factory() as session:
        on_member_registered(session, catalogue.example_envelope("members.member.registered.v1", member_id=COMPANY_B))
        session.commit()
    assert hire(service, SECRETARY, member_id=COMPANY_A).status_code == 422  # not in the member directory
    assert hire(service, SECRETARY).status_code == 422  # no company named, none current
    created = hire(service, SECRETARY, member_id=COMPANY_B)
    assert created.status_code == 201 and created.json["member_id"] == COMPANY_B
    hire(
        service,
        ADMIN_A,
        last_name="Durand",
        nir="295109912611193",
        birth_date="1995-10-01",
        birth_commune=None,
        birth_country="99126",
    )
    client = service.client()
    only_b = client.get(f"/api/workforce/employees?member_id={COMPANY_B}", headers=service.headers(SECRETARY)).json
    assert [e["member_id"] for e in only_b] == [COMPANY_B]
    everyone = client.get("/api/workforce/employees", headers=service.headers(SECRETARY)).json
    assert {e["member_id"] for e in everyone} == {COMPANY_A, COMPANY_B}
    by_id = client.get(f"/api/workforce/employees/{created.json['id']}", headers=service.headers(SECRETARY))
    assert by_id.status_code == 200
