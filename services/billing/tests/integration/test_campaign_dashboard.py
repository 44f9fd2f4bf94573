"""The staff campaign dashboard: live counts of declarations received, invoiced, pending and estimated."""

import uuid

import pytest

from billing.customers.use_cases import seed_customer
from billing.worker import CAMPAIGNS_QUEUE, DECLARATIONS_QUEUE, subscriptions
from portal_common.messaging.consumer import Consumer
from portal_common.messaging.envelope import Envelope
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

MEMBER_C = "2b3c4d5e-6f70-4a81-9b2c-3d4e5f607182"
MEMBER_D = "3c4d5e6f-7081-4b92-8c3d-4e5f60718293"
ZERO = {"SI": 0, "SIA": 0, "SIR": 0}


def consumer_of(service):
    return Consumer(
        service="billing",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


def confirmed(member_id, headcount):
    declaration_id = str(uuid.uuid4())
    return Envelope.new(
        "workforce.declaration.confirmed.v1",
        producer="workforce",
        subject=declaration_id,
        member_id=member_id,
        data={
            "declaration_id": declaration_id,
            "member_id": member_id,
            "year": 2026,
            "headcount": headcount,
            "multi_employer": ZERO,
            "version": 1,
        },
    )


def closed(*members):
    return Envelope.new(
        "workforce.campaign.closed.v1",
        producer="workforce",
        subject="c",
        member_id=None,
        data={
            "campaign_id": "5a0c3e1d-2b4f-4c6a-9e8d-7f6a5b4c3d2e",
            "year": 2026,
            "closed_at": "2026-02-01T08:00:00Z",
            "undeclared": [
                {"member_id": m, "headcount": {"SI": 2, "SIA": 0, "SIR": 0}, "multi_employer": ZERO} for m in members
            ],
        },
    )


def progress(service, principal=None):
    principal = principal or make_principal(staff_roles=("secretariat",))
    return service.client().get("/api/billing/campaigns/2026/progress", headers=service.headers(principal))


def test_the_counts_follow_declarations_estimates_and_late_declarations_as_they_happen(
    service, customers, snapshot, tariff_2026
):
    member_a, member_b = customers
    for member in (MEMBER_C, MEMBER_D):
        seed_customer(service.portal, snapshot(member))
    consumer = consumer_of(service)
    assert progress(service).json == {
        "year": 2026,
        "received": 0,
        "invoiced": 0,
        "not_invoiced": 0,
        "pending": 4,
        "estimated": 0,
        "estimates_cancelled": 0,
        "invoiced_amount_incl_tax": "0.00",
        "closed_at": None,
    }
    consumer.process(DECLARATIONS_QUEUE, confirmed(member_a, {"SI": 12, "SIA": 0, "SIR": 0}))
    body = progress(service).json
    assert (body["received"], body["invoiced"], body["pending"]) == (1, 1, 3)
    # 12 × 97,35 + 30,00 entry fee = 1 198,20 € HT, 1 437,84 € TTC.
    assert body["invoiced_amount_incl_tax"] == "1437.84"
    consumer.process(CAMPAIGNS_QUEUE, closed(member_b, MEMBER_C))
    body = progress(service).json
    assert (body["received"], body["pending"], body["estimated"], body["closed_at"]) == (
        1,
        1,
        2,
        "2026-02-01T08:00:00+00:00",
    )
    consumer.process(DECLARATIONS_QUEUE, confirmed(member_b, {"SI": 1, "SIA": 0, "SIR": 0}))
    body = progress(service).json
    assert (
        body["received"],
        body["invoiced"],
        body["not_invoiced"],
        body["pending"],
        body["estimated"],
        body["estimates_cancelled"],
    ) == (2, 2, 0, 1, 2, 1)
    staff = service.headers(make_principal(staff_roles=("billing",)))
    page = service.client().get("/gestion/factures/campagne?annee=2026", headers=staff)
    assert page.status_code == 200
    html = page.text
    # It never reloads itself (WCAG 2.2.1): the reader refreshes the figures, whose time is announced.
    assert 'http-equiv="refresh"' not in html
    assert '<p role="status">Chiffres au ' in html and "Actualiser les chiffres</button>" in html
    assert "<h1>Campagne de déclaration 2026 : facturation</h1>" in html
    assert 'data-counter="received">2<' in html and 'data-counter="pending">1<' in html
    assert 'data-counter="estimated">2<' in html and 'data-counter="estimates_cancelled">1<' in html
    assert "Campagne clôturée le 01/02/2026 à 09:00" in html


def test_only_staff_see_the_campaign_dashboard(service, customers):
    member_a, _ = customers
    member_admin = make_principal(member_id=member_a, roles=("admin",))
    assert progress(service, member_admin).status_code == 403
    client = service.client()
    assert client.get("/gestion/factures/campagne", headers=service.headers(member_admin)).status_code == 403
    assert client.get("/api/billing/campaigns/2026/progress").status_code == 401
    assert (
        client.get(
            "/api/billing/campaigns/1999/progress", headers=service.headers(make_principal(staff_roles=("billing",)))
        ).status_code
        == 404
    )
