"""When the campaign closes, undeclared members get an estimated invoice; a late declaration cancels it."""

import threading
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from billing.campaign.handlers import on_campaign_closed
from billing.credit_notes.use_cases import issue_credit_note
from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.ledger.queries import account_in
from billing.models import ClosedCampaign, Invoice, Payment
from billing.worker import CAMPAIGNS_QUEUE, DECLARATIONS_QUEUE, subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.messaging.envelope import Envelope
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

CAMPAIGN = "5a0c3e1d-2b4f-4c6a-9e8d-7f6a5b4c3d2e"
UNKNOWN_MEMBER = "00000000-0000-4000-8000-0000000000aa"


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


def closed(*undeclared):
    """workforce.campaign.closed.v1 as its catalogue schema describes it."""
    envelope = Envelope.new(
        "workforce.campaign.closed.v1",
        producer="workforce",
        subject=CAMPAIGN,
        member_id=None,
        data={
            "campaign_id": CAMPAIGN,
            "year": 2026,
            "closed_at": "2026-02-01T08:00:00Z",
            "undeclared": [
                {"member_id": member, "headcount": headcount, "multi_employer": multi}
                for member, headcount, multi in undeclared
            ],
        },
    )
    catalogue.validate(envelope)
    return envelope


def confirmed(member_id, declaration_id=None):
    envelope = Envelope.new(
        "workforce.declaration.confirmed.v1",
        producer="workforce",
        subject="d",
        member_id=member_id,
        data={
            "declaration_id": declaration_id or str(uuid.uuid4()),
            "member_id": member_id,
            "year": 2026,
            "headcount": counts(10, 2, 1),
            "multi_employer": counts(0, 0, 3),
            "total": 16,
            "confirmed_at": "2026-02-10T09:30:00Z",
            "version": 1,
        },
    )
    catalogue.validate(envelope)
    return envelope


def invoices_of(service, member_id=None):
    with service.portal.db.session_factory() as session:
        stmt = select(Invoice).order_by(Invoice.number)
        if member_id:
            stmt = stmt.where(Invoice.member_id == member_id)
        found = list(session.scalars(stmt))
        for invoice in found:
            list(invoice.lines), list(invoice.instalments)
        return found


def test_each_undeclared_member_gets_an_estimate_on_its_headcount_with_the_uplift_and_exact_totals(
    service, customers, tariff_2026
):
    member_a, member_b = customers
    event = closed((member_a, counts(8, 1), counts(1)), (member_b, counts(), counts()))
    assert consumer_of(service).process(CAMPAIGNS_QUEUE, event) is True
    estimate_a, estimate_b = invoices_of(service)
    assert (estimate_a.member_id, estimate_a.kind, estimate_a.number, estimate_a.period) == (
        member_a,
        "facture_office",
        "F2026-000001",
        "2026",
    )
    assert [(line.label, str(line.amount)) for line in estimate_a.lines] == [
        ("Cotisation 2026 : salariés en suivi individuel simple (SI)", "778.80"),
        ("Cotisation 2026 : salariés en suivi individuel adapté (SIA)", "97.35"),
        ("Cotisation 2026 : quote-part multi-employeurs (SI)", "48.68"),
        ("Majoration de la facture d'office (10 %)", "92.48"),
        ("Droit d'entrée (nouvel adhérent)", "30.00"),
    ]
    assert (str(estimate_a.amount_excl_tax), str(estimate_a.vat_amount), str(estimate_a.amount_incl_tax)) == (
        "1047.31",
        "209.46",
        "1256.77",
    )
    assert [str(i.amount) for i in estimate_a.instalments] == ["628.39", "628.38"]
    # Nobody known at workforce: the uplifted minimum fee, and the entry fee.
    assert (str(estimate_b.amount_excl_tax), str(estimate_b.amount_incl_tax)) == ("195.00", "234.00")
    events = service.events()
    assert [e.data["kind"] for e in events] == ["facture_office", "facture_office"]
    for e in events:
        catalogue.validate(e)
    with service.portal.db.session_factory() as session:
        record = session.get(ClosedCampaign, 2026)
        assert (record.campaign_id, record.undeclared_count) == (CAMPAIGN, 2)


def test_a_closing_delivered_twice_even_under_another_event_id_estimates_nobody_twice(service, customers, tariff_2026):
    member_a, _ = customers
    consumer, event = consumer_of(service), closed((member_a, counts(3), counts()))
    assert consumer.process(CAMPAIGNS_QUEUE, event) is True
    assert consumer.process(CAMPAIGNS_QUEUE, event) is False
    assert consumer.process(CAMPAIGNS_QUEUE, closed((member_a, counts(3), counts()))) is True
    assert len(invoices_of(service)) == 1 and len(service.events()) == 1


def test_a_member_whose_declaration_billing_already_received_or_unknown_to_billing_gets_no_estimate(
    service, customers, tariff_2026
):
    member_a, member_b = customers
    consumer = consumer_of(service)
    consumer.process(DECLARATIONS_QUEUE, confirmed(member_a))
    consumer.process(
        CAMPAIGNS_QUEUE,
        closed((member_a, counts(3), counts()), (UNKNOWN_MEMBER, counts(3), counts()), (member_b, counts(1), counts())),
    )
    assert [(i.member_id, i.kind) for i in invoices_of(service)] == [
        (member_a, "cotisation"),
        (member_b, "facture_office"),
    ]


def test_without_a_tariff_the_closing_waits_and_bills_nothing(service, customers):
    member_a, _ = customers
    with pytest.raises(Exception, match="no tariff for 2026"):
        consumer_of(service).process(CAMPAIGNS_QUEUE, closed((member_a, counts(3), counts())))
    assert invoices_of(service) == [] and service.events() == []


def test_a_late_declaration_cancels_the_estimate_by_a_credit_note_then_the_real_invoice_follows_once(
    service, customers, tariff_2026
):
    member_a, _ = customers
    consumer = consumer_of(service)
    consumer.process(CAMPAIGNS_QUEUE, closed((member_a, counts(8, 1), counts(1))))
    declaration = confirmed(member_a)
    assert consumer.process(DECLARATIONS_QUEUE, declaration) is True
    estimate, cancellation, annual = invoices_of(service, member_a)
    assert (cancellation.kind, cancellation.number, cancellation.corrects_invoice_id) == (
        "avoir",
        "F2026-000002",
        estimate.id,
    )
    assert (str(cancellation.amount_excl_tax), str(cancellation.amount_incl_tax)) == ("-1047.31", "-1256.77")
    assert [line.label for line in cancellation.lines][0] == (
        "Annulation de la facture d'office F2026-000001 : Cotisation 2026 : salariés en suivi individuel simple (SI)"
    )
    # The unpaid estimate is settled by its cancellation, which is no longer live; nothing stays owed.
    assert (estimate.status, str(estimate.amount_due), cancellation.status, str(cancellation.amount_due)) == (
        "acquittee",
        "0.00",
        "avoir",
        "0.00",
    )
    assert estimate.cancelled_by_id == cancellation.id and annual.cancelled_by_id is None
    # The real invoice: 13 × 97,35 + 3 × 48,68 + the entry fee the cancelled estimate carried.
    assert (annual.kind, annual.number, str(annual.amount_excl_tax), str(annual.amount_incl_tax)) == (
        "cotisation",
        "F2026-000003",
        "1441.59",
        "1729.91",
    )
    types = [(e.type, e.data.get("reason")) for e in service.events()]
    assert types == [
        ("billing.invoice.issued.v1", None),
        ("billing.credit_note.issued.v1", "estimate_cancelled"),
        ("billing.invoice.issued.v1", None),
    ]
    for e in service.events():
        catalogue.validate(e)
    # The same declaration again, even re-published, changes nothing.
    assert consumer.process(DECLARATIONS_QUEUE, declaration) is False
    again = Envelope.new(declaration.type, producer="workforce", subject="d", member_id=member_a, data=declaration.data)
    assert consumer.process(DECLARATIONS_QUEUE, again) is True
    assert len(invoices_of(service)) == 3 and len(service.events()) == 3


def test_a_late_declaration_after_the_estimate_was_paid_sets_the_credit_off_against_the_real_invoice(
    service, customers, tariff_2026
):
    member_a, _ = customers
    consumer = consumer_of(service)
    consumer.process(CAMPAIGNS_QUEUE, closed((member_a, counts(1), counts())))
    [estimate] = invoices_of(service)
    staff = service.headers(make_principal(staff_roles=("billing",)))
    paid = service.client().post(
        f"/api/billing/invoices/{estimate.id}/payments",
        headers=staff,
        json={"method": "virement", "amount": str(estimate.amount_incl_tax), "received_on": "2026-02-05"},
    )
    assert paid.status_code == 201
    consumer.process(DECLARATIONS_QUEUE, confirmed(member_a))
    _, cancellation, annual = invoices_of(service, member_a)
    # Never payable: the credit note's amount is the company's credit, set off against the real invoice's due.
    assert (cancellation.status, str(cancellation.amount_due)) == ("avoir", "0.00")
    with service.portal.db.session_factory() as session:
        held = account_in(session, member_a)
    assert held.balance == annual.amount_incl_tax + cancellation.amount_incl_tax
    # The credit is set off against the real invoice as it is issued (« Compensation avoir »); the rest is held.
    compensated = min(annual.amount_incl_tax, -cancellation.amount_incl_tax)
    assert annual.amount_paid == compensated
    assert held.credit == -cancellation.amount_incl_tax - compensated


def test_a_declaration_handled_while_the_closing_is_being_billed_waits_and_then_cancels_the_estimate(
    service, customers, tariff_2026
):
    member_a, _ = customers
    worker = threading.Thread(target=consumer_of(service).process, args=(DECLARATIONS_QUEUE, confirmed(member_a)))
    with service.portal.db.session_factory() as session:
        on_campaign_closed(session, closed((member_a, counts(3), counts())))  # estimated, not committed
        worker.start()
        worker.join(timeout=1.0)  # the other worker takes the declaration meanwhile
        session.commit()
    worker.join()
    assert [invoice.kind for invoice in invoices_of(service, member_a)] == ["facture_office", "avoir", "cotisation"]


def test_a_member_with_its_annual_invoice_gets_no_estimate_and_its_declaration_replaces_that_invoice(
    service, customers, tariff_2026
):
    """Transports Keller in the demo: staff had issued its 2026 fee before the campaign. The declaration is
    what is owed: a credit note cancels the staff-issued fee and the declared one is issued, one live at a time."""
    member_a, member_b = customers
    staff_issued = issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_a,
            kind="cotisation",
            period="2026",
            lines=(LineInput("Cotisation annuelle 2026", Decimal("12"), Decimal("97.35")),),
        ),
    )
    consumer = consumer_of(service)
    consumer.process(CAMPAIGNS_QUEUE, closed((member_a, counts(8), counts()), (member_b, counts(2), counts())))
    assert [(i.member_id, i.kind) for i in invoices_of(service)] == [
        (member_a, "cotisation"),
        (member_b, "facture_office"),
    ]
    assert consumer.process(DECLARATIONS_QUEUE, confirmed(member_a)) is True
    invoices = {i.id: i for i in invoices_of(service, member_a)}
    cancelled = invoices.pop(staff_issued.id)
    [credit_note] = [i for i in invoices.values() if i.kind == "avoir"]
    [declared] = [i for i in invoices.values() if i.kind == "cotisation"]
    assert cancelled.cancelled_by_id == credit_note.id and credit_note.corrects_invoice_id == staff_issued.id
    assert "remplacée par la cotisation de votre déclaration" in credit_note.lines[0].label
    assert declared.declaration_id is not None and declared.cancelled_by_id is None
    # Another declaration of the year changes nothing: an invoice issued from a declaration is never replaced.
    consumer.process(DECLARATIONS_QUEUE, confirmed(member_a))
    assert {i.id for i in invoices_of(service, member_a)} == {cancelled.id, credit_note.id, declared.id}


def test_the_database_refuses_a_second_live_annual_invoice_even_when_code_skips_the_check(service, customers):
    member_a, _ = customers
    first = issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_a,
            kind="cotisation",
            period="2026",
            lines=(LineInput("Cotisation annuelle 2026", Decimal("12"), Decimal("97.35")),),
        ),
    )
    with service.portal.db.session_factory() as session:
        twin = {c.key: getattr(first, c.key) for c in Invoice.__table__.columns}
        twin.update(id=str(uuid.uuid4()), number="F2026-999999", source_key=None, kind="facture_office")
        with pytest.raises(IntegrityError, match="uq_invoice_live_annual"):
            session.execute(Invoice.__table__.insert(), twin)
        session.rollback()
    refused = service.client().post(
        "/api/billing/invoices",
        headers=service.headers(make_principal(staff_roles=("billing",))),
        json={
            "member_id": member_a,
            "kind": "cotisation",
            "period": "2026",
            "lines": [{"label": "Cotisation annuelle 2026", "quantity": "1", "unit_price": "10.00"}],
        },
    )
    assert refused.status_code == 422
    assert refused.json["errors"]["json"] == {
        "period": f"L'adhérent a déjà une cotisation annuelle 2026 ({first.number}) : annulez-la d'abord par un avoir."
    }
    # Cancelled in full by a credit note, it stops being live: the replacement may then be issued.
    issue_credit_note(service.portal, first.id, label="Remplacée", amount_excl_tax=None, cancel_all=True)
    replacement = service.client().post(
        "/api/billing/invoices",
        headers=service.headers(make_principal(staff_roles=("billing",))),
        json={
            "member_id": member_a,
            "kind": "cotisation",
            "period": "2026",
            "lines": [{"label": "Cotisation annuelle 2026", "quantity": "1", "unit_price": "10.00"}],
        },
    )
    assert replacement.status_code == 201


def test_the_database_refuses_any_payment_of_a_credit_note(service, customers):
    member_a, _ = customers
    note = issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_a,
            kind="avoir",
            lines=(LineInput("Geste commercial", Decimal("1"), Decimal("-10.00")),),
        ),
    )
    with service.portal.db.session_factory() as session:
        with pytest.raises(IntegrityError, match="never payable"):
            session.execute(
                Payment.__table__.insert(),
                {
                    "id": str(uuid.uuid4()),
                    "invoice_id": note.id,
                    "member_id": member_a,
                    "method": "virement",
                    "amount": Decimal("12.00"),
                    "applied_amount": Decimal("12.00"),
                    "received_on": note.issued_on,
                    "recorded_by": "test",
                    "created_at": note.created_at,
                },
            )
        session.rollback()
        with pytest.raises(IntegrityError, match="ck_invoice_credit_note_not_payable"):
            session.execute(text("UPDATE invoice SET status = 'a_payer' WHERE id = :id"), {"id": note.id})
        session.rollback()
