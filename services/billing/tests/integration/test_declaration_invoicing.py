"""A confirmed headcount declaration becomes one annual invoice with its schedule, whatever the deliveries."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from billing.customers.use_cases import seed_customer
from billing.models import Invoice, InvoiceSequence
from billing.worker import DECLARATIONS_QUEUE, subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer, PermanentError
from portal_common.messaging.envelope import Envelope
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

DECLARATION = "0b7e4c2a-9d1f-4e3b-8a6c-5d4e3f2a1b0c"


def consumer_of(service):
    return Consumer(
        service="billing",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


def confirmed(member_id, declaration_id=DECLARATION, headcount=None, multi=None, version=1):
    """workforce.declaration.confirmed.v1 as agreed in the event contract (built here: workforce owns the schema)."""
    return Envelope.new(
        "workforce.declaration.confirmed.v1",
        producer="workforce",
        subject=declaration_id,
        member_id=member_id,
        data={
            "declaration_id": declaration_id,
            "member_id": member_id,
            "year": 2026,
            "headcount": headcount or {"SI": 10, "SIA": 2, "SIR": 1},
            "multi_employer": multi or {"SI": 0, "SIA": 0, "SIR": 3},
            "total": 16,
            "confirmed_at": "2026-01-20T09:30:00Z",
            "version": version,
        },
    )


def invoices_of(service):
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(Invoice).order_by(Invoice.number)))


def test_a_confirmed_declaration_issues_the_annual_invoice_with_exact_lines_totals_and_schedule(
    service, customers, tariff_2026
):
    member_a, _ = customers
    assert consumer_of(service).process(DECLARATIONS_QUEUE, confirmed(member_a)) is True
    [invoice] = invoices_of(service)
    assert (invoice.kind, invoice.number, invoice.period, invoice.declaration_id) == (
        "cotisation",
        "F2026-000001",
        "2026",
        DECLARATION,
    )
    # 13 × 97,35 + 3 × 48,68 (half share) + 30,00 entry fee (first annual fee of this company) = 1 441,59 HT.
    assert (str(invoice.amount_excl_tax), str(invoice.vat_amount), str(invoice.amount_incl_tax)) == (
        "1441.59",
        "288.32",
        "1729.91",
    )
    reader = make_principal(member_id=member_a, roles=("billing",))
    body = service.client().get(f"/api/billing/invoices/{invoice.id}", headers=service.headers(reader)).json
    assert [(line["quantity"], line["unit_price"], line["amount"]) for line in body["lines"]] == [
        ("10.00", "97.35", "973.50"),
        ("2.00", "97.35", "194.70"),
        ("1.00", "97.35", "97.35"),
        ("3.00", "48.68", "146.04"),
        ("1.00", "30.00", "30.00"),
    ]
    assert body["lines"][-1]["label"] == "Droit d'entrée (nouvel adhérent)"
    first_due = body["due_on"]
    assert [i["amount"] for i in body["instalments"]] == ["864.96", "864.95"]  # 1 000 < TTC ≤ 5 000: two
    assert body["instalments"][0]["due_on"] == first_due
    [event] = service.events()
    catalogue.validate(event)
    assert (event.type, event.data["declaration_id"], event.data["download_path"]) == (
        "billing.invoice.issued.v1",
        DECLARATION,
        f"/factures/{invoice.id}/pdf",
    )


def test_a_declaration_delivered_twice_even_under_another_event_id_makes_one_invoice(service, customers, tariff_2026):
    member_a, _ = customers
    consumer, event = consumer_of(service), confirmed(member_a)
    assert consumer.process(DECLARATIONS_QUEUE, event) is True
    assert consumer.process(DECLARATIONS_QUEUE, event) is False  # same event id: the inbox skips it
    assert consumer.process(DECLARATIONS_QUEUE, confirmed(member_a)) is True  # re-published: nothing billed
    assert len(invoices_of(service)) == 1 and len(service.events()) == 1


def test_competing_workers_invoice_every_declaration_once_with_gapless_numbers(service, snapshot, tariff_2026):
    # One company per declaration: a company has one annual fee a year (the database refuses a second).
    companies = [str(uuid.UUID(int=rank + 1)) for rank in range(24)]
    for company in companies:
        seed_customer(service.portal, snapshot(company))
    declarations = [confirmed(companies[rank], declaration_id=f"decl-{rank:04d}") for rank in range(24)]
    workers = [consumer_of(service) for _ in range(4)]
    start = threading.Barrier(4)

    def work(rank):
        start.wait()
        # Every worker sees every declaration, in its own order, as after redeliveries.
        order = declarations[rank:] + declarations[:rank]
        for event in order:
            try:
                workers[rank].process(DECLARATIONS_QUEUE, event)
            except Exception:  # a lost race on the same declaration: the broker would redeliver it
                workers[rank].process(DECLARATIONS_QUEUE, event)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    found = invoices_of(service)
    assert sorted(i.declaration_id for i in found) == sorted(f"decl-{rank:04d}" for rank in range(24))
    assert [i.number for i in found] == [f"F2026-{rank:06d}" for rank in range(1, 25)]
    with service.portal.db.session_factory() as session:
        assert session.get(InvoiceSequence, 2026).last_number == 24


def test_without_a_tariff_or_a_known_customer_the_declaration_waits_and_a_malformed_one_is_dead_lettered(
    service, customers
):
    member_a, _ = customers
    consumer = consumer_of(service)
    with pytest.raises(Exception, match="no tariff for 2026"):
        consumer.process(DECLARATIONS_QUEUE, confirmed(member_a))
    with pytest.raises(PermanentError):
        consumer.process(DECLARATIONS_QUEUE, confirmed(member_a, headcount={"SI": -4}))
    assert invoices_of(service) == [] and service.events() == []


def test_a_declaration_redelivered_after_its_inbox_row_was_purged_still_makes_one_invoice(
    service, customers, tariff_2026
):
    from datetime import timedelta

    from portal_common.retention import RetentionPeriods, purge, standard_rules

    member_a, _ = customers
    consumer, event = consumer_of(service), confirmed(member_a)
    consumer.inbox_window = timedelta(days=30)
    assert consumer.process(DECLARATIONS_QUEUE, event) is True
    # Everything past retention goes, the inbox row included (a zero-day window: every processed row is old).
    purge(service.portal.db, standard_rules(service.portal.outbox.table.metadata, RetentionPeriods(inbox=timedelta(0))))
    late = Envelope(**{**event.__dict__, "occurred_at": "2025-01-01T00:00:00Z"})  # older than the window
    assert consumer.process(DECLARATIONS_QUEUE, late) is True  # the inbox no longer knows it…
    assert len(invoices_of(service)) == 1  # …the invoice's unique source key does
