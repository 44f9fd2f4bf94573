"""The annual headcount declaration through the app: campaign, prefill, statuses, ETag, confirmation, closing."""

import re
import socket
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal_common import clock as portal_clock
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.testing import make_principal
from portal_common.testing.identities import nir_for
from workforce.declarations import use_cases as campaigns
from workforce.models import MemberDeclarationContact, MemberDirectoryEntry
from workforce.worker import subscriptions

pytestmark = pytest.mark.integration

COMPANY_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
COMPANY_B = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
COMPANY_C = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
ADMIN_A = make_principal(member_id=COMPANY_A, roles=("admin",))
FIRM_A = make_principal(member_id=COMPANY_A, roles=("declaration",), display_name="Cabinet Comptable")
READER_A = make_principal(member_id=COMPANY_A, roles=("read",))
ADMIN_B = make_principal(member_id=COMPANY_B, roles=("admin",), member_name="Garage Keller")
ADMIN_C = make_principal(member_id=COMPANY_C, roles=("admin",))
STAFF = make_principal(staff_roles=("administration",))
BILLING_STAFF = make_principal(staff_roles=("billing",))  # staff, but not of the campaigns
EMPLOYEE = {
    "last_name": "Dupont",
    "first_names": "Marie",
    "sex": "F",
    "birth_date": "1985-08-14",
    "nir": "285081416802523",
    "hire_date": "2024-03-01",
    "post": "Vendeuse",
    "contract": "CDI",
    "birth_country": "Maroc",
}  # the NIRs given (valid_nir) say born in Morocco
ORDERS = iter(range(1, 1000))  # a new NIR at each hire


class FrozenClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """The workforce service reads the day through portal_common.clock.utcnow: 15 January 2027 here."""
    frozen = FrozenClock(datetime(2027, 1, 15, 10, 0, tzinfo=UTC))
    monkeypatch.setattr(portal_clock, "utcnow", frozen)
    return frozen


@pytest.fixture
def smtp(portal_env):
    portal_env.smtp.clear()
    return portal_env.smtp


@pytest.fixture
def deliver(service):
    """Delivers a catalogue example event (data overridden) to the queue consuming it, as the worker does."""
    consumer = Consumer(
        service="workforce",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    queues = {t: s.queue for s in subscriptions(service.portal.settings) for t in s.handlers}

    def _deliver(event_type: str, **data):
        envelope = catalogue.example_envelope(event_type, **data)
        with service.app.app_context():
            assert consumer.process(queues[event_type], envelope) is True
        return envelope

    return _deliver


@pytest.fixture
def companies(deliver):
    """A with two declaration contacts (one of them twice) and a billing one, B with no contact but its general and
    billing addresses, C ceased on 31/12/2026."""
    deliver("members.member.registered.v1", member_id=COMPANY_A, version=1)
    deliver(
        "members.member.updated.v1",
        member_id=COMPANY_A,
        version=2,
        billing_email="compta@boulangerie.fr",
        contacts=[
            {"kind": "dirigeant", "name": "Paul Martin", "email": None},
            {"kind": "responsable_rh", "name": "Sophie Martin", "email": "rh@boulangerie.fr"},
            {"kind": "responsable_etablissement", "name": "Anne Martin", "email": "Anne@Boulangerie.fr"},
            {"kind": "dirigeant", "name": "Sophie Martin", "email": "RH@boulangerie.fr"},  # the same mailbox
            {"kind": "responsable_facturation", "name": "Luc Martin", "email": "luc@boulangerie.fr"},
        ],
    )
    deliver(
        "members.member.registered.v1",
        member_id=COMPANY_B,
        member_number="1000002",
        name="Garage Keller",
        siret="35600000009075",
        email="contact@garage-keller.fr",
        billing_email="compta@garage-keller.fr",
        version=1,
    )
    deliver(
        "members.member.registered.v1",
        member_id=COMPANY_C,
        member_number="1000003",
        name="Ancienne SARL",
        siret="40483304800022",
        billing_email="gerant@ancienne.fr",
        version=1,
    )
    deliver(
        "members.situation.changed.v1",
        member_id=COMPANY_C,
        kind="cessation_activite",
        effective_date="2026-12-31",
        version=2,
    )


def hire(service, principal=ADMIN_A, **overrides):
    body = dict(EMPLOYEE, **overrides)
    body["nir"] = valid_nir(body["sex"], date.fromisoformat(body["birth_date"]))
    response = service.client().post("/api/workforce/employees", json=body, headers=service.headers(principal))
    assert response.status_code == 201, response.json
    return response.json["id"]


def valid_nir(sex: str, birth_date: date) -> str:
    """A NIR agreeing with the sex and birth date, born in Morocco (99350), a new one at each call."""
    return nir_for(sex, birth_date, "99350", order=next(ORDERS))


def open_campaign(service, **body):
    response = service.client().post(
        "/api/workforce/campaigns", json={"year": 2027, **body}, headers=service.headers(STAFF)
    )
    assert response.status_code == 201, response.json
    return response.json


def declaration(service, principal=ADMIN_A, year=2027):
    return service.client().get(f"/api/workforce/declarations/{year}", headers=service.headers(principal))


def write(
    service, etag, principal=ADMIN_A, *, confirm=False, headcount=None, multi=None, justifications=None, year=2027
):
    body = {
        "headcount": headcount or {"SI": 1, "SIA": 1, "SIR": 1},
        "multi_employer": multi or {"SI": 1, "SIA": 0, "SIR": 0},
        "justifications": justifications or {},
    }
    headers = service.headers(principal)
    if etag is not None:
        headers["If-Match"] = etag
    client = service.client()
    if confirm:
        return client.post(f"/api/workforce/declarations/{year}/confirmation", json=body, headers=headers)
    return client.put(f"/api/workforce/declarations/{year}", json=body, headers=headers)


def the_list_of_company_a(service):
    """Present on 1 January 2027: one SI, one SIR (amiante), one minor (SIA), one multi-employer SI."""
    hire(service)
    hire(service, last_name="Bernard", determinants=["amiante"], sex="M")
    hire(service, last_name="Jeune", birth_date="2009-06-01", hire_date="2025-09-01", contract="apprentissage", sex="M")
    hire(service, last_name="Multi", multi_employer=True, sex="M")
    hire(service, last_name="Nouveau", hire_date="2027-01-10", sex="M")  # hired after 1 January
    left = hire(service, last_name="Parti", hire_date="2020-01-06", sex="M")
    response = service.client().post(
        f"/api/workforce/employees/{left}/exit",
        headers=service.headers(ADMIN_A),
        json={"exit_date": "2026-12-31", "reason": "demission"},
    )
    assert response.status_code == 200


def test_staff_open_a_campaign_for_january_and_every_declaration_contact_gets_one_email(
    service, clock, smtp, companies
):
    clock.set(date(2026, 12, 1))
    body = open_campaign(service)
    assert (body["opens_on"], body["closes_on"], body["deadline"], body["status"]) == (
        "2027-01-01",
        "2027-01-31",
        "2027-01-31",
        "open",
    )
    [event] = [e for e in service.events() if e.type == "workforce.campaign.opened.v1"]
    catalogue.validate(event)
    assert event.data == {
        "campaign_id": body["id"],
        "year": 2027,
        "opens_on": "2027-01-01",
        "closes_on": "2027-01-31",
        "deadline": "2027-01-31",
    }
    assert service.deliver_mail() == 3
    [to_a] = smtp.to("rh@boulangerie.fr")  # the HR contact rather than the billing address, once
    assert len(smtp.to("anne@boulangerie.fr")) == 1  # every declaration contact
    assert smtp.to("luc@boulangerie.fr") == smtp.to("compta@boulangerie.fr") == []  # billing does not declare
    assert to_a["Subject"] == "Déclaration de vos effectifs 2027 : la saisie est ouverte"
    text = to_a.get_content()
    assert "du 01/01/2027 au 31/01/2027" in text and "/salaries/declarations/2027" in text
    assert len(smtp.to("contact@garage-keller.fr")) == 1 and smtp.to("compta@garage-keller.fr") == []
    assert smtp.to("gerant@ancienne.fr") == []  # ceased: nothing to declare


def test_a_campaign_is_refused_field_by_field_and_only_campaign_staff_open_it(service, clock):
    open_campaign(service, opens_on="2027-01-06", closes_on="2027-02-21")
    client = service.client()
    again = client.post("/api/workforce/campaigns", json={"year": 2027}, headers=service.headers(STAFF))
    assert again.status_code == 422
    assert again.json["errors"]["json"] == {"year": "La campagne 2027 est déjà ouverte : une seule campagne par année."}
    bad = client.post(
        "/api/workforce/campaigns",
        headers=service.headers(STAFF),
        json={"year": 2028, "opens_on": "2028-02-01", "closes_on": "2028-01-15"},
    )
    assert bad.status_code == 422 and set(bad.json["errors"]["json"]) == {"closes_on"}
    assert (
        client.post("/api/workforce/campaigns", json={"year": 2028}, headers=service.headers(ADMIN_A)).status_code
        == 403
    )
    assert (
        client.post("/api/workforce/campaigns", json={"year": 2028}, headers=service.headers(BILLING_STAFF)).status_code
        == 403
    )
    assert client.post("/api/workforce/campaigns", json={"year": 2028}).status_code == 401
    assert client.get("/api/workforce/campaigns", headers=service.headers(ADMIN_A)).status_code == 403
    assert [e.type for e in service.events()] == ["workforce.campaign.opened.v1"]


def test_the_declaration_is_prefilled_from_the_employee_list_as_at_1_january(service, clock, companies):
    open_campaign(service)
    the_list_of_company_a(service)
    response = declaration(service)
    assert response.status_code == 200 and response.headers["ETag"] == '"0"'
    body = response.json
    assert (body["status"], body["status_label"], body["editable"], body["version"]) == (
        "to_enter",
        "À saisir",
        True,
        0,
    )
    assert body["headcount"] == {"SI": 1, "SIA": 1, "SIR": 1}  # the minor is SIA, the newcomer and leaver absent
    assert body["multi_employer"] == {"SI": 1, "SIA": 0, "SIR": 0}
    assert body["expected"]["total"] == 4
    listing = service.client().get("/api/workforce/declarations", headers=service.headers(READER_A)).json
    assert [(d["year"], d["status_label"]) for d in listing] == [(2027, "À saisir")]
    assert declaration(service, year=2031).status_code == 404


def test_a_draft_is_in_progress_and_a_difference_needs_a_justification_to_confirm(service, clock, companies):
    open_campaign(service)
    the_list_of_company_a(service)
    draft = write(service, '"0"', headcount={"SI": 3, "SIA": 1, "SIR": 1})
    assert draft.status_code == 200, draft.json
    assert (draft.json["status"], draft.json["version"], draft.headers["ETag"]) == ("in_progress", 1, '"1"')
    refused = write(service, '"1"', confirm=True, headcount={"SI": 3, "SIA": 1, "SIR": 1})
    assert refused.status_code == 422
    assert list(refused.json["errors"]["json"]) == ["justification_SI"]
    assert declaration(service).json["status"] == "in_progress"  # nothing half-written
    confirmed = write(
        service,
        '"1"',
        confirm=True,
        headcount={"SI": 3, "SIA": 1, "SIR": 1},
        justifications={"SI": "Deux saisonniers embauchés le 01/01 pas encore dans la liste"},
    )
    assert confirmed.status_code == 200, confirmed.json
    assert (confirmed.json["status_label"], confirmed.json["editable"], confirmed.json["version"]) == (
        "Confirmée",
        False,
        2,
    )
    [event] = [e for e in service.events() if e.type == "workforce.declaration.confirmed.v1"]
    catalogue.validate(event)
    data = dict(event.data)
    assert data.pop("confirmed_at").startswith("2027-01-15T10:00:00")
    assert data == {
        "declaration_id": confirmed.json["declaration_id"],
        "member_id": COMPANY_A,
        "year": 2027,
        "headcount": {"SI": 3, "SIA": 1, "SIR": 1},
        "multi_employer": {"SI": 1, "SIA": 0, "SIR": 0},
        "total": 6,
        "version": 2,
        "late": False,
    }
    assert event.member_id == COMPANY_A and event.subject == confirmed.json["declaration_id"]


def test_a_company_and_its_accounting_firm_cannot_overwrite_each_other(service, clock, companies):
    open_campaign(service)
    the_list_of_company_a(service)
    assert write(service, None).status_code == 428
    assert write(service, None, confirm=True).status_code == 428
    company = write(service, '"0"', headcount={"SI": 2, "SIA": 1, "SIR": 1})
    assert company.status_code == 200
    # The firm read version 0 before the company saved: its save is refused, the company's figures stay.
    firm = write(service, '"0"', FIRM_A, headcount={"SI": 9, "SIA": 9, "SIR": 9})
    assert firm.status_code == 412
    assert (
        write(
            service,
            '"1"',
            FIRM_A,
            confirm=True,
            headcount={"SI": 9, "SIA": 9, "SIR": 9},
            justifications={"SI": "x", "SIA": "x", "SIR": "x"},
            multi={"SI": 0, "SIA": 0, "SIR": 0},
        ).status_code
        == 200
    )
    assert write(service, '"2"').status_code == 409  # now confirmed: refused with its reason
    assert declaration(service).json["headcount"] == {"SI": 9, "SIA": 9, "SIR": 9}
    assert write(service, '"2"', READER_A).status_code == 403


def test_a_confirmed_declaration_is_read_only_and_refused_with_the_reason(service, clock, companies):
    open_campaign(service)
    the_list_of_company_a(service)
    assert write(service, '"0"', confirm=True).status_code == 200
    again = write(service, '"1"', confirm=True)
    assert again.status_code == 409
    assert again.json["message"].startswith("La déclaration 2027 est déjà confirmée : elle ne peut plus être modifiée.")
    page = service.client().get("/salaries/declarations/2027", headers=service.headers(ADMIN_A))
    assert page.status_code == 200 and "Confirmée" in page.text and 'name="headcount_SI"' not in page.text
    assert "/salaries/declarations/2027/impression" in page.text
    printed = service.client().get("/salaries/declarations/2027/impression", headers=service.headers(READER_A))
    assert printed.status_code == 200 and "Déclaration des effectifs 2027" in printed.text
    assert len([e for e in service.events() if e.type == "workforce.declaration.confirmed.v1"]) == 1


def test_outside_its_window_a_declaration_is_not_enterable_and_says_why(service, clock, companies):
    open_campaign(service, deadline="2027-02-28")
    the_list_of_company_a(service)
    clock.set(date(2027, 2, 1))
    assert declaration(service).json["status_label"] == "Non saisissable"
    late = write(service, '"0"')
    assert late.status_code == 409
    assert late.json["message"] == (
        "La saisie de la déclaration 2027 était ouverte jusqu'au 31/01/2027 : elle n'est plus possible."
    )
    page = service.client().get("/salaries/declarations/2027", headers=service.headers(ADMIN_A))
    assert "Non saisissable" in page.text and 'name="headcount_SI"' not in page.text
    assert "était ouverte jusqu&#39;au 31/01/2027" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    posted = service.client().post(
        "/salaries/declarations/2027",
        headers=service.headers(ADMIN_A),
        data={"csrf_token": token, "version": "0", "action": "confirm", "headcount_SI": "1"},
    )
    assert posted.status_code == 409 and "était ouverte jusqu&#39;au 31/01/2027" in posted.text
    clock.set(date(2026, 12, 20))
    early = write(service, '"0"')
    assert early.status_code == 409
    assert early.json["message"] == "La saisie de la déclaration 2027 ouvrira le 01/01/2027."
    assert not [e for e in service.events() if e.type == "workforce.declaration.confirmed.v1"]


def test_a_ceased_company_has_nothing_to_declare(service, clock, companies):
    open_campaign(service)
    body = declaration(service, ADMIN_C).json
    assert (body["status"], body["refusal"]) == (
        "not_enterable",
        "L'activité de l'entreprise a cessé : aucune déclaration des effectifs n'est à saisir.",
    )
    assert write(service, '"0"', ADMIN_C).status_code == 409


def test_the_annual_invoice_of_a_declaration_makes_it_invoiced(service, clock, companies, deliver):
    open_campaign(service)
    the_list_of_company_a(service)
    declaration_id = write(service, '"0"', confirm=True).json["declaration_id"]
    deliver("billing.invoice.issued.v1", member_id=COMPANY_B, declaration_id=declaration_id)  # not A's: ignored
    assert declaration(service).json["status"] == "confirmed"
    deliver("billing.invoice.issued.v1", member_id=COMPANY_A, declaration_id=declaration_id, number="F2027-000042")
    body = declaration(service).json
    assert (body["status_label"], body["invoice_number"]) == ("Facturée", "F2027-000042")
    page = service.client().get("/salaries/declarations", headers=service.headers(READER_A))
    assert "Facturée" in page.text and "F2027-000042" in page.text


def test_the_declaration_pages_save_confirm_and_refuse_a_stale_form_in_french(service, clock, companies):
    open_campaign(service)
    the_list_of_company_a(service)
    client, headers = service.client(), service.headers(ADMIN_A)
    listing = client.get("/salaries/declarations", headers=headers)
    assert "À saisir" in listing.text and "Saisir votre déclaration" in listing.text
    form = client.get("/salaries/declarations/2027", headers=headers)
    assert form.status_code == 200 and 'name="version" value="0"' in form.text
    firm_form = client.get("/salaries/declarations/2027", headers=service.headers(FIRM_A))  # opened at the same time
    assert 'id="f-headcount_SIR" name="headcount_SIR" type="text" inputmode="numeric" value="1"' in form.text
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    values = {
        "csrf_token": token,
        "version": "0",
        "headcount_SI": "2",
        "headcount_SIA": "1",
        "headcount_SIR": "1",
        "multi_employer_SI": "1",
        "multi_employer_SIA": "0",
        "multi_employer_SIR": "0",
        "action": "confirm",
    }
    missing = client.post("/salaries/declarations/2027", data=values, headers=headers)
    assert missing.status_code == 422
    assert 'id="f-justification_SI-error">Justifiez l&#39;écart avec la liste des salariés en SI' in missing.text
    assert 'value="2"' in missing.text  # what was typed stays
    saved = client.post("/salaries/declarations/2027", data=dict(values, action="save"), headers=headers)
    assert saved.status_code == 302
    # The firm's page still carries version 0: refused, with the up-to-date figures shown.
    firm_token = firm_form.text.split('name="csrf_token" value="')[1].split('"')[0]
    stale = client.post(
        "/salaries/declarations/2027",
        headers=service.headers(FIRM_A),
        data=dict(values, csrf_token=firm_token, headcount_SI="7", justification_SI="Erreur", action="save"),
    )
    assert stale.status_code == 409
    assert "enregistrée par une autre personne" in stale.text and 'name="version" value="1"' in stale.text
    assert declaration(service).json["headcount"]["SI"] == 2
    done = client.post(
        "/salaries/declarations/2027",
        headers=headers,
        data=dict(values, version="1", justification_SI="Un saisonnier oublié"),
    )
    assert done.status_code == 302
    assert "Confirmée" in client.get("/salaries/declarations", headers=headers).text
    without_token = client.post("/salaries/declarations/2027", headers=headers, data=dict(values, csrf_token=""))
    assert without_token.status_code in (400, 403)


def test_the_employee_list_stays_fully_usable_during_the_campaign(service, clock, companies):
    open_campaign(service)
    employee_id = hire(service)
    client, headers = service.client(), service.headers(ADMIN_A)
    assert write(service, '"0"').status_code == 200  # a declaration in progress
    assert client.get("/salaries", headers=headers).status_code == 200
    assert client.get("/salaries/nouveau", headers=headers).status_code == 200
    hire(service, last_name="Janvier", hire_date="2027-01-12")
    assert client.get(f"/salaries/{employee_id}/modifier", headers=headers).status_code == 200
    assert (
        client.post(
            f"/api/workforce/employees/{employee_id}/exit",
            headers=headers,
            json={"exit_date": "2027-01-14", "reason": "demission"},
        ).status_code
        == 200
    )
    export = client.get("/salaries/export.csv?status=all", headers=headers)
    assert export.status_code == 200 and "JANVIER" in export.data.decode("utf-8-sig")
    assert client.get("/salaries/controle", headers=headers).status_code == 200


def test_closing_the_campaign_tells_billing_who_did_not_declare_with_their_current_headcount(service, clock, companies):
    open_campaign(service)
    the_list_of_company_a(service)
    hire(service, ADMIN_B, last_name="Keller", determinants=["travail_nuit"], sex="M")
    hire(service, ADMIN_B, last_name="Mecano", multi_employer=True, hire_date="2027-01-12", sex="M")
    write(service, '"0"', ADMIN_B)  # a draft is not a declaration
    assert write(service, '"0"', confirm=True).status_code == 200
    client = service.client()
    assert client.post("/api/workforce/campaigns/2027/closure", headers=service.headers(ADMIN_A)).status_code == 403
    closed = client.post("/api/workforce/campaigns/2027/closure", headers=service.headers(STAFF))
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    [event] = [e for e in service.events() if e.type == "workforce.campaign.closed.v1"]
    catalogue.validate(event)
    # A declared, C ceased: only B, counted as its list stands today (the hire of 12/01 included).
    assert event.data["undeclared"] == [
        {
            "member_id": COMPANY_B,
            "headcount": {"SI": 0, "SIA": 1, "SIR": 0},
            "multi_employer": {"SI": 1, "SIA": 0, "SIR": 0},
        }
    ]
    assert event.data["year"] == 2027 and event.data["closed_at"].startswith("2027-01-15T10:00:00")
    twice = client.post("/api/workforce/campaigns/2027/closure", headers=service.headers(STAFF))
    assert twice.status_code == 409 and twice.json["message"] == "La campagne 2027 est déjà clôturée."
    assert closed.json["undeclared"] == 1
    assert client.post("/api/workforce/campaigns/2031/closure", headers=service.headers(STAFF)).status_code == 404


def test_after_the_closing_a_company_still_declares_late_and_its_event_says_it_is_late(service, clock, companies):
    open_campaign(service)
    the_list_of_company_a(service)
    assert write(service, '"0"', confirm=True).status_code == 200  # A, before the closing: never late
    client = service.client()
    assert client.post("/api/workforce/campaigns/2027/closure", headers=service.headers(STAFF)).status_code == 200
    clock.set(date(2027, 3, 10))
    before = declaration(service, ADMIN_B).json
    assert (before["status"], before["editable"], before["late"], before["refusal"]) == ("to_enter", True, True, None)
    assert "la facture d'office 2027 émise à la clôture est annulée par un avoir" in before["late_explanation"]
    assert declaration(service).json["late"] is False  # A's, confirmed in time
    assert declaration(service, ADMIN_C).json["status"] == "not_enterable"  # ceased: nothing to declare, late or not
    headers = service.headers(ADMIN_B)
    listing = client.get("/salaries/declarations", headers=headers)
    assert "Déclaration tardive" in listing.text and "Saisir votre déclaration tardive" in listing.text
    form = client.get("/salaries/declarations/2027", headers=headers)
    assert form.status_code == 200 and "Déclaration tardive" in form.text
    assert "Confirmer la déclaration tardive" in form.text and "annulée par un avoir" in form.text
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    values = {
        "csrf_token": token,
        "version": "0",
        "action": "confirm",
        **{f"{kind}_{c}": "0" for kind in ("headcount", "multi_employer") for c in ("SI", "SIA", "SIR")},
    }
    confirmed = client.post("/salaries/declarations/2027", headers=headers, data=values)
    assert confirmed.status_code == 302, confirmed.text
    events = [e for e in service.events() if e.type == "workforce.declaration.confirmed.v1"]
    assert [(e.member_id, e.data["late"]) for e in events] == [(COMPANY_A, False), (COMPANY_B, True)]
    for event in events:
        catalogue.validate(event)
    shown = client.get("/salaries/declarations/2027", headers=headers)
    assert "Confirmée" in shown.text and "Déclaration tardive" in shown.text and 'name="headcount_SI"' not in shown.text
    again = write(service, '"1"', ADMIN_B, confirm=True)
    assert again.status_code == 409 and "déjà confirmée" in again.json["message"]


def test_closing_a_campaign_asks_for_confirmation_with_the_companies_it_sends_to_billing(
    service, clock, companies, monkeypatch
):
    open_campaign(service)
    the_list_of_company_a(service)
    hire(service, ADMIN_B, last_name="Keller", sex="M")
    client, headers = service.client(), service.headers(STAFF)
    detail = client.get("/gestion/salaries/campagnes/2027", headers=headers)
    assert (
        'href="/gestion/salaries/campagnes/2027/cloture"' in detail.text
        and "<form" not in detail.text.split("Clôturer la campagne")[0].split("</section>")[-1]
    )
    # Billing cannot be asked here (nothing listens on that port): the page says so and still counts.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setitem(service.portal.settings.service_urls, "billing", f"http://127.0.0.1:{port}")
    page = client.get("/gestion/salaries/campagnes/2027/cloture", headers=headers)
    assert page.status_code == 200
    assert '<strong data-count="undeclared">2</strong>' in page.text  # A and B; C has ceased
    assert "La facturation n'a pas pu être consultée : au plus 2 facture(s)" in page.text
    assert "Garage Keller" in page.text and "Ancienne SARL" not in page.text
    assert (
        client.get("/gestion/salaries/campagnes/2027/cloture", headers=service.headers(BILLING_STAFF)).status_code
        == 403
    )
    assert not [e for e in service.events() if e.type == "workforce.campaign.closed.v1"]  # reading closes nothing
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    closed = client.post("/gestion/salaries/campagnes/2027/cloture", headers=headers, data={"csrf_token": token})
    assert closed.status_code == 302
    [event] = [e for e in service.events() if e.type == "workforce.campaign.closed.v1"]
    assert len(event.data["undeclared"]) == 2
    after = client.get("/gestion/salaries/campagnes/2027/cloture", headers=headers)
    assert after.status_code == 302 and after.headers["Location"].endswith("/gestion/salaries/campagnes/2027")


def test_a_campaign_closes_by_itself_once_its_deadline_has_passed(service, clock, companies):
    open_campaign(service, deadline="2027-02-15")
    assert campaigns.close_due_campaigns(service.portal) == []
    clock.set(date(2027, 2, 15))
    assert campaigns.close_due_campaigns(service.portal) == []  # the deadline day itself is still open
    clock.set(date(2027, 2, 16))
    assert campaigns.close_due_campaigns(service.portal) == [2027]
    assert campaigns.close_due_campaigns(service.portal) == []
    assert len([e for e in service.events() if e.type == "workforce.campaign.closed.v1"]) == 1


def test_staff_see_the_progress_of_a_campaign_per_status(service, clock, companies):
    open_campaign(service)
    the_list_of_company_a(service)
    write(service, '"0"', ADMIN_B)
    client = service.client()
    body = client.get("/api/workforce/campaigns/2027", headers=service.headers(BILLING_STAFF)).json
    assert body["progress"] == {"to_enter": 1, "in_progress": 1, "confirmed": 0, "invoiced": 0, "not_enterable": 1}
    write(service, '"0"', confirm=True)
    listing = client.get("/api/workforce/campaigns", headers=service.headers(STAFF)).json
    assert [(c["year"], c["progress"]["confirmed"], c["progress"]["in_progress"]) for c in listing] == [(2027, 1, 1)]
    page = client.get("/gestion/salaries/campagnes/2027", headers=service.headers(STAFF))
    assert page.status_code == 200
    assert '<td data-status="confirmed">1</td>' in page.text and "Garage Keller" in page.text
    assert "Clôturer la campagne" in page.text
    assert (
        "Clôturer la campagne"
        not in client.get("/gestion/salaries/campagnes/2027", headers=service.headers(BILLING_STAFF)).text
    )
    assert client.get("/gestion/salaries/campagnes/2027", headers=service.headers(ADMIN_A)).status_code == 403


def test_staff_open_and_close_a_campaign_through_the_pages(service, clock, companies, smtp):
    client, headers = service.client(), service.headers(STAFF)
    clock.set(date(2026, 12, 1))
    page = client.get("/gestion/salaries/campagnes", headers=headers)
    assert page.status_code == 200 and 'name="year" type="text" value="2027"' in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = client.post(
        "/gestion/salaries/campagnes",
        headers=headers,
        data={"csrf_token": token, "year": "2027", "opens_on": "2027-01-10", "closes_on": "2027-01-05", "deadline": ""},
    )
    assert bad.status_code == 422
    assert 'id="f-closes_on-error">La fin de la saisie ne peut pas précéder son ouverture.' in bad.text
    opened = client.post(
        "/gestion/salaries/campagnes",
        headers=headers,
        data={
            "csrf_token": token,
            "year": "2027",
            "opens_on": "2027-01-01",
            "closes_on": "2027-01-31",
            "deadline": "2027-01-31",
        },
    )
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/gestion/salaries/campagnes/2027")
    clock.set(date(2027, 2, 1))
    closed = client.post("/gestion/salaries/campagnes/2027/cloture", headers=headers, data={"csrf_token": token})
    assert closed.status_code == 302
    assert "Clôturée" in client.get("/gestion/salaries/campagnes", headers=headers).text
    assert [e.type for e in service.events()] == ["workforce.campaign.opened.v1", "workforce.campaign.closed.v1"]
    assert (
        client.post(
            "/gestion/salaries/campagnes",
            headers=service.headers(BILLING_STAFF),
            data={"csrf_token": token, "year": "2028"},
        ).status_code
        == 403
    )


def test_a_company_never_sees_nor_changes_another_companys_declaration(service, clock, companies):
    open_campaign(service)
    the_list_of_company_a(service)
    assert write(service, '"0"', headcount={"SI": 5, "SIA": 1, "SIR": 1}).status_code == 200
    other = declaration(service, ADMIN_B).json
    assert (other["member_id"], other["version"], other["headcount"]) == (COMPANY_B, 0, {"SI": 0, "SIA": 0, "SIR": 0})
    assert write(service, '"1"', ADMIN_B).status_code == 412  # A's version means nothing for B
    assert (
        write(service, '"0"', ADMIN_B, confirm=True, justifications={"SI": "x", "SIA": "x", "SIR": "x"}).status_code
        == 200
    )
    mine = declaration(service).json
    assert (mine["status"], mine["headcount"]["SI"], mine["version"]) == ("in_progress", 5, 1)
    page = service.client().get("/salaries/declarations/2027", headers=service.headers(ADMIN_B))
    assert 'value="5"' not in page.text
    for path in ("/api/workforce/campaigns", "/api/workforce/campaigns/2027", "/gestion/salaries/campagnes"):
        assert service.client().get(path, headers=service.headers(ADMIN_B)).status_code == 403


def test_a_change_of_post_is_published_without_the_nir(service, clock):
    employee_id = hire(service, determinants=["amiante"])
    response = service.client().post(
        f"/api/workforce/employees/{employee_id}/post-changes",
        headers=service.headers(ADMIN_A),
        json={"post": "Chef d'équipe", "pcs_code": "480a", "from_date": "2026-06-01", "determinants": ["travail_nuit"]},
    )
    assert response.status_code == 201
    event = service.events()[-1]
    catalogue.validate(event)
    assert event.type == "workforce.employee.post_changed.v1"
    assert event.data == {
        "employee_id": employee_id,
        "member_id": COMPANY_A,
        "post": "Chef d'équipe",
        "pcs_code": "480a",
        "from_date": "2026-06-01",
        "previous_post": "Vendeuse",
        "determinants": ["travail_nuit"],
        "monitoring_category": "SIA",
        "previous_category": "SIR",
        "version": 2,
    }
    assert not re.search(r"[0-9]{13}", event.to_json())


def test_the_directory_keeps_the_newest_contacts_and_waits_for_a_registration_before_a_situation(service, deliver):
    deliver("members.member.registered.v1", member_id=COMPANY_A, billing_email="compta@boulangerie.fr", version=1)
    deliver(
        "members.member.updated.v1",
        member_id=COMPANY_A,
        version=3,
        billing_email="compta@boulangerie.fr",
        contacts=[{"kind": "responsable_rh", "name": "Sophie Martin", "email": "rh@boulangerie.fr"}],
    )
    deliver(
        "members.member.updated.v1", member_id=COMPANY_A, version=2, billing_email="ancien@boulangerie.fr", contacts=[]
    )  # late and older: changes nothing
    with service.portal.db.session_factory() as session:
        assert session.scalars(select(MemberDeclarationContact.email)).all() == ["rh@boulangerie.fr"]
    deliver(
        "members.member.updated.v1",
        member_id=COMPANY_A,
        version=4,
        billing_email="compta@boulangerie.fr",
        contacts=[{"kind": "dirigeant", "name": "Paul Martin", "email": "paul@boulangerie.fr"}],
    )  # the HR contact removed from the record: she no longer hears of the campaign
    with service.portal.db.session_factory() as session:
        assert session.scalars(select(MemberDeclarationContact.email)).all() == ["paul@boulangerie.fr"]
    consumer = Consumer(
        service="workforce",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    early = catalogue.example_envelope("members.situation.changed.v1", member_id=COMPANY_B)
    with pytest.raises(LookupError):  # the consumer retries it once the registration has arrived
        consumer.process("workforce.member-directory", early)
    deliver("members.member.registered.v1", member_id=COMPANY_B, version=1)
    assert consumer.process("workforce.member-directory", early) is True
    with service.portal.db.session_factory() as session:
        entry = session.get(MemberDirectoryEntry, COMPANY_B)
    assert (entry.ceased_kind, entry.ceased_on) == ("cessation_activite", date(2026, 12, 31))
