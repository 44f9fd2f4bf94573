"""Late declarations end to end: workforce's confirmation page counts the factures d'office billing then
issues, and a declaration confirmed after the closing cancels its facture d'office with a credit note and
issues the real invoice in one transaction, on PostgreSQL and on the embedded SQLite default."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from billing.app import create_app
from billing.customers.use_cases import seed_customer
from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases import declarations as declaration_use_cases
from billing.invoices.use_cases.issue import issue_invoice
from billing.ledger.queries import violations
from billing.models import Invoice
from billing.tariffs.use_cases import save_tariff
from billing.worker import CAMPAIGNS_QUEUE, DECLARATIONS_QUEUE, subscriptions
from portal_common import clock as portal_clock
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.migrations import upgrade
from portal_common.testing import make_principal

from ..conftest import MEMBER_A, MEMBER_B, TARIFF_2026

pytestmark = pytest.mark.integration

SERVICES = Path(__file__).resolve().parents[3]
MEMBER_C = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"  # known to workforce, not (yet) to billing
CAMPAIGN_STAFF = make_principal(staff_roles=("administration",))
BODY = {
    "headcount": {"SI": 4, "SIA": 0, "SIR": 1},
    "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0},
    "justifications": {"SI": "Liste des salariés pas encore saisie", "SIR": "Liste des salariés pas encore saisie"},
}


class FrozenClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def consumer_of(portal, service: str) -> Consumer:
    from workforce.worker import subscriptions as workforce_subscriptions

    chosen = subscriptions if service == "billing" else workforce_subscriptions
    return Consumer(
        service=service,
        db=portal.db,
        outbox=portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=chosen(portal.settings),
    )


@pytest.fixture
def workforce(portal_env, billing_http):
    """The real workforce service, asking the billing app served over HTTP (its own database, emptied after)."""
    from workforce.app import create_app as create_workforce_app

    built = portal_env.service(
        "workforce", create_workforce_app, SERVICES / "workforce", PORTAL_BILLING_URL=billing_http
    )
    yield built
    built.truncate()


def register(workforce, member_id: str, number: str, name: str) -> None:
    consumer = consumer_of(workforce.portal, "workforce")
    queues = {t: s.queue for s in consumer.subscriptions.values() for t in s.handlers}
    event = catalogue.example_envelope(
        "members.member.registered.v1", member_id=member_id, member_number=number, name=name, version=1
    )
    with workforce.app.app_context():
        assert consumer.process(queues[event.type], event)


def last_event(service, event_type: str):
    return [e for e in service.events() if e.type == event_type][-1]


def test_the_closing_issues_the_factures_d_office_its_confirmation_page_announced_and_a_late_declaration_replaces_one(
    service, workforce, customers, tariff_2026, monkeypatch
):
    monkeypatch.setattr(portal_clock, "utcnow", FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    for member_id, number, name in ((MEMBER_A, "1000001", "Boulangerie Martin"), (MEMBER_B, "1000002", "Garage")):
        register(workforce, member_id, number, name)
    register(workforce, MEMBER_C, "1000003", "Nouvelle SARL")
    # A's 2026 fee was issued by staff: no facture d'office beside it.
    issue_invoice(
        service.portal,
        IssueCommand(
            member_id=MEMBER_A,
            kind="cotisation",
            period="2026",
            lines=(LineInput("Cotisation annuelle 2026", Decimal("3"), Decimal("97.35")),),
        ),
    )
    client, staff = workforce.client(), workforce.headers(CAMPAIGN_STAFF)
    assert client.post("/api/workforce/campaigns", json={"year": 2026}, headers=staff).status_code == 201

    page = client.get("/gestion/salaries/campagnes/2026/cloture", headers=staff)
    assert page.status_code == 200
    assert '<strong data-count="undeclared">3</strong>' in page.text
    announced = int(page.text.split('<strong data-count="estimates">')[1].split("<")[0])
    assert announced == 1  # B only: A has its fee, C is unknown to billing
    assert "Les 2 autre(s) adhérent(s) ont déjà leur cotisation 2026" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert (
        client.post("/gestion/salaries/campagnes/2026/cloture", headers=staff, data={"csrf_token": token}).status_code
        == 302
    )

    billing = consumer_of(service.portal, "billing")
    closing = last_event(workforce, "workforce.campaign.closed.v1")
    catalogue.validate(closing)
    assert billing.process(CAMPAIGNS_QUEUE, closing)
    with service.portal.db.session_factory() as session:
        estimates = list(session.scalars(select(Invoice).where(Invoice.kind == "facture_office")))
    assert [e.member_id for e in estimates] == [MEMBER_B] and len(estimates) == announced
    [estimate] = estimates

    member_b = make_principal(member_id=MEMBER_B, roles=("admin",))
    listing = service.client().get("/factures?annee=2026", headers=service.headers(member_b))
    assert f"Facture d'office {estimate.number} : établie faute de déclaration" in listing.text
    assert 'href="/salaries/declarations/2026"' in listing.text
    pdf = service.client().get(f"/factures/{estimate.id}/pdf", headers=service.headers(member_b)).data
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "elle sera annulée par avoir dès réception de votre déclaration, même tardive" in text

    # B declares late, through workforce's API with the ETag it read.
    monkeypatch.setattr(portal_clock, "utcnow", FrozenClock(datetime(2026, 4, 20, 9, 0, tzinfo=UTC)))
    headers = workforce.headers(member_b)
    read = client.get("/api/workforce/declarations/2026", headers=headers)
    assert read.json["late"] is True and read.json["editable"] is True
    confirmed = client.post(
        "/api/workforce/declarations/2026/confirmation",
        json=BODY,
        headers=dict(headers, **{"If-Match": read.headers["ETag"]}),
    )
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["late"] is True
    declared = last_event(workforce, "workforce.declaration.confirmed.v1")
    catalogue.validate(declared)
    assert declared.data["late"] is True
    assert billing.process(DECLARATIONS_QUEUE, declared)

    with service.portal.db.session_factory() as session:
        invoices = list(session.scalars(select(Invoice).where(Invoice.member_id == MEMBER_B).order_by(Invoice.number)))
        assert violations(session) == []
    kept, credit_note, annual = invoices
    assert kept.id == estimate.id and kept.cancelled_by_id == credit_note.id
    assert (credit_note.kind, credit_note.corrects_invoice_id, credit_note.amount_incl_tax) == (
        "avoir",
        estimate.id,
        -estimate.amount_incl_tax,
    )
    assert (annual.kind, annual.declaration_id, annual.cancelled_by_id) == (
        "cotisation",
        declared.data["declaration_id"],
        None,
    )
    after = service.client().get("/factures?annee=2026", headers=service.headers(member_b))
    assert "établie faute de déclaration" not in after.text  # the promise is kept: nothing left to announce
    assert credit_note.number in after.text and annual.number in after.text


@pytest.fixture(params=("postgresql", "sqlite"))
def billing_portal(request, service, portal_env, tmp_path, snapshot):
    """Billing on PostgreSQL (the tests' database) or on a SQLite file as `make run` keeps it."""
    if request.param == "postgresql":
        seed_customer(service.portal, snapshot(MEMBER_B))
        save_tariff(service.portal, TARIFF_2026, by="test")
        yield service.portal
        return
    url = f"sqlite:///{tmp_path}/billing.db"
    upgrade(SERVICES / "billing", url)
    app = create_app(environ=portal_env.environ("billing", url))
    portal = app.extensions["portal"]
    seed_customer(portal, snapshot(MEMBER_B))
    save_tariff(portal, TARIFF_2026, by="test")
    yield portal
    portal.db.dispose()


def test_a_late_declaration_cancels_the_facture_d_office_and_issues_the_real_invoice_in_one_transaction(
    billing_portal, monkeypatch
):
    billing = consumer_of(billing_portal, "billing")
    closing = catalogue.example_envelope(
        "workforce.campaign.closed.v1",
        year=2026,
        undeclared=[
            {
                "member_id": MEMBER_B,
                "headcount": {"SI": 7, "SIA": 0, "SIR": 0},
                "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0},
            }
        ],
    )
    assert billing.process(CAMPAIGNS_QUEUE, closing)
    late = catalogue.example_envelope(
        "workforce.declaration.confirmed.v1", member_id=MEMBER_B, year=2026, late=True, total=16
    )

    def documents():
        with billing_portal.db.session_factory() as session:
            return [
                (i.kind, i.cancelled_by_id is None) for i in session.scalars(select(Invoice).order_by(Invoice.number))
            ]

    # The real invoice cannot be issued (say, the database refuses it): the credit note goes with it.
    def refused(*args, **kwargs):
        raise RuntimeError("the annual invoice could not be written")

    with monkeypatch.context() as patched:
        patched.setattr(declaration_use_cases, "prepare_invoice", refused)
        with pytest.raises(RuntimeError):
            billing.process(DECLARATIONS_QUEUE, late)
    assert documents() == [("facture_office", True)]  # still live, no credit note, nothing numbered

    assert billing.process(DECLARATIONS_QUEUE, late)  # redelivered: now whole
    assert documents() == [("facture_office", False), ("avoir", True), ("cotisation", True)]
    with billing_portal.db.session_factory() as session:
        if session.get_bind().dialect.name == "postgresql":  # the operators' checker reads PostgreSQL
            assert violations(session) == []
        numbers = list(session.scalars(select(Invoice.number).order_by(Invoice.number)))
    assert numbers == ["F2026-000001", "F2026-000002", "F2026-000003"]  # gapless: the failed try took none
