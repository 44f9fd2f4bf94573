"""Declarations invoiced by batches (one transaction per batch, numbers taken at commit): the same invoices,
amounts, credit notes, late hires and events as one by one, numbers gapless in the batch's order."""

import uuid

import pytest
from sqlalchemy import func, select

from billing.customers.use_cases import seed_customer
from billing.invoices.rules import CannotInvoiceYet
from billing.models import Invoice, InvoiceSequence, PendingHire, ReceivedDeclaration
from billing.worker import CAMPAIGNS_QUEUE, DECLARATIONS_QUEUE, LATE_HIRES_QUEUE, subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer, PermanentError
from portal_common.messaging.envelope import Envelope

pytestmark = pytest.mark.integration

CAMPAIGN = "5a0c3e1d-2b4f-4c6a-9e8d-7f6a5b4c3d2e"
MEMBER_C = "3c3c3c3c-3c3c-4c3c-8c3c-3c3c3c3c3c3c"
MEMBER_D = "4d4d4d4d-4d4d-4d4d-8d4d-4d4d4d4d4d4d"


def consumer_of(service):
    return Consumer(
        service="billing",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


def counts(si=0, sia=0, sir=0):
    return {"SI": si, "SIA": sia, "SIR": sir}


def confirmed(member_id, declaration_id=None, headcount=None, check=True):
    envelope = Envelope.new(
        "workforce.declaration.confirmed.v1",
        producer="workforce",
        subject="d",
        member_id=member_id,
        data={
            "declaration_id": declaration_id or str(uuid.uuid4()),
            "member_id": member_id,
            "year": 2026,
            "headcount": headcount or counts(10, 2, 1),
            "multi_employer": counts(0, 0, 3),
            "confirmed_at": "2026-02-10T09:30:00Z",
            "version": 1,
        },
    )
    if check:
        catalogue.validate(envelope)
    return envelope


def closed(member_id):
    envelope = Envelope.new(
        "workforce.campaign.closed.v1",
        producer="workforce",
        subject=CAMPAIGN,
        member_id=None,
        data={
            "campaign_id": CAMPAIGN,
            "year": 2026,
            "closed_at": "2026-02-01T08:00:00Z",
            "undeclared": [{"member_id": member_id, "headcount": counts(8, 1), "multi_employer": counts(1)}],
        },
    )
    catalogue.validate(envelope)
    return envelope


def hired(member_id, hire_date):
    employee_id = str(uuid.uuid4())
    envelope = Envelope.new(
        "workforce.employee.hired.v1",
        producer="workforce",
        subject=employee_id,
        member_id=member_id,
        data={
            "employee_id": employee_id,
            "member_id": member_id,
            "last_name": "DUPONT",
            "birth_name": "DUPONT",
            "first_names": "Marie",
            "birth_date": "1985-08-14",
            "hire_date": hire_date,
            "post": "Vendeuse",
            "contract": "CDI",
            "monitoring_category": "SIA",
            "version": 1,
        },
    )
    catalogue.validate(envelope)
    return envelope


def all_invoices(service):
    with service.portal.db.session_factory() as session:
        found = list(session.scalars(select(Invoice).order_by(Invoice.number)))
        for invoice in found:
            list(invoice.lines), list(invoice.instalments)
        return found


def test_a_batch_mixing_plain_declarations_an_estimate_to_cancel_a_waiting_hire_and_repeats_bills_as_one_by_one(
    service, customers, snapshot, tariff_2026
):
    member_a, member_b = customers
    for member_id in (MEMBER_C, MEMBER_D):
        seed_customer(service.portal, snapshot(member_id))
    consumer = consumer_of(service)
    consumer.process(CAMPAIGNS_QUEUE, closed(member_a))  # A has an estimate (F2026-000001)
    consumer.process(LATE_HIRES_QUEUE, hired(member_b, "2026-01-25"))  # B has a hire waiting for its declaration
    plain_c, of_a, of_b, plain_d = confirmed(MEMBER_C), confirmed(member_a), confirmed(member_b), confirmed(MEMBER_D)
    resent_c = Envelope.new(plain_c.type, producer="workforce", subject="d", member_id=MEMBER_C, data=plain_c.data)

    applied = consumer.process_batch(DECLARATIONS_QUEUE, [plain_c, of_a, of_b, plain_d, resent_c, plain_c])

    assert applied == [True, True, True, True, True, False]  # the same event twice is applied once
    invoices = all_invoices(service)
    assert [(i.number, i.kind, i.member_id) for i in invoices] == [
        ("F2026-000001", "facture_office", member_a),
        ("F2026-000002", "cotisation", MEMBER_C),
        ("F2026-000003", "avoir", member_a),  # the estimate's cancellation, before A's real invoice
        ("F2026-000004", "cotisation", member_a),
        ("F2026-000005", "cotisation", member_b),
        ("F2026-000006", "embauche", member_b),  # the hire that waited for B's declaration
        ("F2026-000007", "cotisation", MEMBER_D),
    ]
    estimate, plain, cancellation, annual_a = invoices[:4]
    assert cancellation.corrects_invoice_id == estimate.id and estimate.status == "acquittee"
    # The amounts of one by one (test_estimates): 13 × 97,35 + 3 × 48,68 + the entry fee.
    assert (str(annual_a.amount_excl_tax), str(annual_a.amount_incl_tax)) == ("1441.59", "1729.91")
    assert (str(plain.amount_excl_tax), str(plain.amount_incl_tax)) == ("1441.59", "1729.91")
    assert [str(due.amount) for due in plain.instalments] == ["864.96", "864.95"]
    assert [line.label for line in plain.lines][0] == "Cotisation 2026 : salariés en suivi individuel simple (SI)"
    assert all(
        i.declaration_id == e.data["declaration_id"]
        for i, e in ((invoices[1], plain_c), (annual_a, of_a), (invoices[4], of_b), (invoices[6], plain_d))
    )
    # Creation times follow the numbers (they are taken at commit, under the sequence lock).
    assert [i.number for i in sorted(invoices, key=lambda i: i.created_at)] == [i.number for i in invoices]
    events = service.events()
    for event in events:
        catalogue.validate(event)
    assert [(e.type, e.data["number"]) for e in events] == [
        ("billing.invoice.issued.v1", i.number) if i.kind != "avoir" else ("billing.credit_note.issued.v1", i.number)
        for i in invoices
    ]
    # Each event is caused by the declaration it comes from.
    assert events[1].causation_id == plain_c.id and events[-1].causation_id == plain_d.id
    with service.portal.db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedDeclaration)) == 4
        assert session.scalar(select(func.count()).select_from(PendingHire)) == 0
        assert session.get(InvoiceSequence, 2026).last_number == 7


def test_a_batch_that_fails_writes_nothing_and_gives_its_numbers_back(service, customers, tariff_2026):
    member_a, member_b = customers
    consumer = consumer_of(service)
    unusable = confirmed(member_b, headcount=counts(-1), check=False)  # as the handler would still get it
    with pytest.raises(PermanentError):
        consumer.process_batch(DECLARATIONS_QUEUE, [confirmed(member_a), unusable])
    assert all_invoices(service) == [] and service.events() == []
    # The good one alone is then invoiced with the first number.
    assert consumer.process(DECLARATIONS_QUEUE, confirmed(member_a)) is True
    assert [i.number for i in all_invoices(service)] == ["F2026-000001"]


def test_a_batch_with_a_company_unknown_to_billing_fails_whole_so_it_can_be_retried_alone(
    service, customers, tariff_2026
):
    member_a, _ = customers
    with pytest.raises(CannotInvoiceYet):
        consumer_of(service).process_batch(DECLARATIONS_QUEUE, [confirmed(member_a), confirmed(MEMBER_C)])
    assert all_invoices(service) == []


def test_a_batch_of_hires_bills_the_late_ones_keeps_the_waiting_ones_and_ignores_the_rest_once_each(
    service, customers, tariff_2026
):
    member_a, member_b = customers
    consumer = consumer_of(service)
    consumer.process(DECLARATIONS_QUEUE, confirmed(member_a))  # A declared 2026, B has not yet
    late_a, on_reference_day_a = hired(member_a, "2026-03-02"), hired(member_a, "2026-01-01")
    waiting_b, long_ago_b = hired(member_b, "2026-02-01"), hired(member_b, "2020-05-04")
    resent_late_a = Envelope.new(late_a.type, producer="workforce", subject="e", member_id=member_a, data=late_a.data)

    applied = consumer.process_batch(
        LATE_HIRES_QUEUE, [late_a, on_reference_day_a, waiting_b, long_ago_b, resent_late_a, late_a]
    )

    assert applied == [True, True, True, True, True, False]
    fees = [(i.kind, i.member_id, i.source_key) for i in all_invoices(service) if i.kind == "embauche"]
    assert fees == [("embauche", member_a, f"late_hire:{late_a.data['employee_id']}")]  # once, though sent twice
    with service.portal.db.session_factory() as session:
        assert [(p.employee_id, p.year) for p in session.scalars(select(PendingHire))] == [
            (waiting_b.data["employee_id"], 2026)
        ]
    # B's declaration then bills the hire that waited for it, as one by one.
    consumer.process(DECLARATIONS_QUEUE, confirmed(member_b))
    assert sorted(i.member_id for i in all_invoices(service) if i.kind == "embauche") == sorted([member_a, member_b])
