"""Registering a member company through the API and the staff page, on PostgreSQL."""

import pytest

from portal_common.messaging import catalogue
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

VALID = {
    "name": "Garage du Centre",
    "siret": "73282932000074",
    "naf_code": "45.20A",
    "address_line1": "3 place de l'Église",
    "postal_code": "68000",
    "city": "Colmar",
    "adhesion_date": "2021-09-01",
    "billing_email": "compta@garage.fr",
}
SECRETARY = make_principal(staff_roles=("secretariat",))


def test_staff_registering_a_member_records_one_registered_event_matching_the_catalogue(service):
    response = service.client().post("/api/members/members", json=VALID, headers=service.headers(SECRETARY))
    assert response.status_code == 201
    assert response.json["member_number"] == "1000001"
    [event] = service.events()
    assert event.type == "members.member.registered.v1"
    assert event.data["member_id"] == response.json["id"]
    catalogue.validate(event)


def test_an_invalid_body_gets_422_with_field_errors_and_writes_nothing(service):
    body = dict(VALID, siret="73282932000075", unexpected="x")
    response = service.client().post("/api/members/members", json=body, headers=service.headers(SECRETARY))
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"siret", "unexpected"}
    assert service.client().get("/api/members/members", headers=service.headers(SECRETARY)).json == []
    assert service.events() == []


def test_a_member_user_cannot_register_members(service):
    user = make_principal(member_id="6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01", roles=("admin",))
    response = service.client().post("/api/members/members", json=VALID, headers=service.headers(user))
    assert response.status_code == 403
    assert service.events() == []


def test_a_member_sees_its_own_record_and_another_company_is_not_found(service):
    created = service.client().post("/api/members/members", json=VALID, headers=service.headers(SECRETARY)).json
    other = (
        service.client()
        .post(
            "/api/members/members",
            json=dict(VALID, siret="35600000009075", name="Autre"),
            headers=service.headers(SECRETARY),
        )
        .json
    )
    user = make_principal(member_id=created["id"], roles=("read",))
    client = service.client()
    assert client.get("/api/members/members/current", headers=service.headers(user)).json["name"] == "Garage du Centre"
    assert client.get(f"/api/members/members/{other['id']}", headers=service.headers(user)).status_code == 404
    page = client.get("/adherent", headers=service.headers(user))
    assert page.status_code == 200
    assert "Garage du Centre" in page.text and "01/09/2021" in page.text


def test_forged_identity_headers_without_a_valid_signature_are_ignored(service):
    forged = {
        "X-Portal-Identity": "eyJ1c2VyX2lkIjoieCJ9.forged",
        "X-Portal-User": "admin",
        "X-Portal-Roles": "administration",
    }
    assert service.client().post("/api/members/members", json=VALID, headers=forged).status_code == 401
    assert service.events() == []


def test_the_staff_form_shows_french_errors_next_to_the_fields_and_keeps_the_values(service):
    client = service.client()
    headers = service.headers(SECRETARY)
    page = client.get("/gestion/adherents", headers=headers)
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = dict(VALID, siret="123", csrf_token=token)
    response = client.post("/gestion/adherents", data=form, headers=headers)
    assert response.status_code == 422
    assert "Le SIRET doit comporter 14 chiffres et être valide." in response.text
    assert 'value="Garage du Centre"' in response.text
    assert service.events() == []


def test_a_page_form_without_a_valid_csrf_token_is_refused_without_effect(service):
    client = service.client()
    headers = service.headers(SECRETARY)
    assert client.post("/gestion/adherents", data=VALID, headers=headers).status_code == 403
    assert client.post("/gestion/adherents", data=dict(VALID, csrf_token="0" * 64), headers=headers).status_code == 403
    assert service.events() == []


def test_the_headcount_consumer_counts_hired_employees_once_even_when_delivered_twice(service):
    from members.worker import subscriptions
    from portal_common.messaging.consumer import Consumer

    created = service.client().post("/api/members/members", json=VALID, headers=service.headers(SECRETARY)).json
    consumer = Consumer(
        service="members",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    event = catalogue.example_envelope("workforce.employee.hired.v1", member_id=created["id"])
    assert consumer.process("members.headcount", event) is True
    assert consumer.process("members.headcount", event) is False
    user = make_principal(member_id=created["id"], roles=("read",))
    record = service.client().get("/api/members/members/current", headers=service.headers(user)).json
    assert record["employees_followed"] == 1


def test_hires_and_exits_move_each_company_s_followed_count_once_never_below_zero(service):
    from members.worker import subscriptions
    from portal_common.messaging.consumer import Consumer

    first = service.client().post("/api/members/members", json=VALID, headers=service.headers(SECRETARY)).json
    second = (
        service.client()
        .post("/api/members/members", json=dict(VALID, siret="40483304800022"), headers=service.headers(SECRETARY))
        .json
    )
    consumer = Consumer(
        service="members",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    hires = [
        catalogue.example_envelope("workforce.employee.hired.v1", member_id=member["id"])
        for member in (first, second, first, first)
    ]
    exits = [
        catalogue.example_envelope("workforce.employee.exited.v1", member_id=member["id"])
        for member in (first, second, second)
    ]  # the second's extra exit cannot go below zero
    assert consumer.process_batch("members.headcount", hires + [hires[0]]) == [True] * 4 + [False]
    assert consumer.process_batch("members.headcount", exits[:1]) == [True]
    assert consumer.process("members.headcount", exits[1]) is True
    assert consumer.process("members.headcount", exits[2]) is True
    followed = {}
    for member in (first, second):
        user = make_principal(member_id=member["id"], roles=("read",))
        record = service.client().get("/api/members/members/current", headers=service.headers(user)).json
        followed[member["id"]] = record["employees_followed"]
    assert followed == {first["id"]: 2, second["id"]: 0}


def test_staff_registering_members_at_the_same_time_get_distinct_consecutive_numbers(service):
    import threading

    sirets = ["73282932000074", "40483304800022", "35600000009075", "35600000049837"]
    start = threading.Barrier(len(sirets))
    answers = []

    def register(siret):
        client = service.client()
        start.wait()
        response = client.post(
            "/api/members/members",
            json=dict(VALID, siret=siret, name=f"Entreprise {siret}"),
            headers=service.headers(SECRETARY),
        )
        answers.append((response.status_code, (response.json or {}).get("member_number")))

    threads = [threading.Thread(target=register, args=(siret,)) for siret in sirets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [(201, f"{1000001 + i:07d}") for i in range(len(sirets))]
    assert len(service.events()) == len(sirets)
