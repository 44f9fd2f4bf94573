"""SEPA direct debit: the mandate from members' events, the discount, pre-notifications at least 14 days
ahead, and the pain.008 batch (FRST then RCUR) built with the IBAN read from the real members service."""

import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sepaxml
import xmlschema
from sqlalchemy import select, text

from billing.campaign.rules import estimate_key
from billing.credit_notes.use_cases import issue_credit_note
from billing.invoices.annual import Declaration
from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases import declarations
from billing.invoices.use_cases.issue import issue_invoice
from billing.ledger.queries import account_in, violations
from billing.models import BillingCustomer, Invoice, Payment, SepaDebit, mail_outbox
from billing.payments.rules import PaymentInput
from billing.payments.use_cases import record_payment, start_card_payment
from billing.sepa.rules import DebitNotCollectable, DebitNotRejectable, SepaBatchError
from billing.sepa.use_cases.debits import collect_debit, create_batch, plan_debits, reject_debit, settle_due_debits
from billing.worker import DECLARATIONS_QUEUE, MEMBER_DIRECTORY_QUEUE, start_settlement
from portal_common import clock
from portal_common.messaging import catalogue
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

NBSP, NNBSP = "\u00a0", "\u202f"
PAIN_XSD = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.008.001.02.xsd")


def invoice_declaration(service, member_id, declaration_id):
    """12 employees followed (SI) in 2026, invoiced as the declarations consumer does."""
    with service.portal.db.session_factory() as session:
        invoice = declarations.invoice_declaration(
            session,
            Declaration(
                declaration_id=declaration_id,
                member_id=member_id,
                year=2026,
                headcount={"SI": 12, "SIA": 0, "SIR": 0},
                multi_employer={"SI": 0, "SIA": 0, "SIR": 0},
                version=1,
            ),
        )
        session.commit()
        return invoice.id


def stored(service, model, **where):
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(model).filter_by(**where)))


def fr(amount: Decimal) -> str:
    """1 234,56 € as the e-mails print it."""
    return f"{amount:,.2f}".replace(",", NNBSP).replace(".", ",") + f"{NBSP}€"


def sequence_types(document: bytes) -> list[str]:
    return re.findall(rb"<SeqTp>([A-Z]{4})</SeqTp>", document)


def test_a_signed_mandate_brings_the_discount_prenotifications_and_a_valid_pain008_first_then_recurring(
    service, customers, tariff_2026, portal_env, billing_consumer, sign_mandate_at_members
):
    member_a, member_b = customers
    event = sign_mandate_at_members(member_a)
    assert billing_consumer.process(MEMBER_DIRECTORY_QUEUE, event) is True
    [customer] = stored(service, BillingCustomer, member_id=member_a)
    assert (customer.mandate_status, customer.mandate_reference) == ("active", event.data["mandate_reference"])

    with_mandate = invoice_declaration(service, member_a, "0b7e4c2a-9d1f-4e3b-8a6c-5d4e3f2a1b0c")
    without = invoice_declaration(service, member_b, "1c8f5d3b-0e2a-4f4c-9b7d-6e5f4a3b2c1d")
    with service.portal.db.session_factory() as session:
        discounted = session.get(Invoice, with_mandate)
        assert [line.label for line in discounted.lines][-1] == "Remise prélèvement SEPA (1,5 %)"
        assert all("SEPA" not in line.label for line in session.get(Invoice, without).lines)
        instalments = [(i.due_on, i.amount) for i in discounted.instalments]
        total = discounted.amount_incl_tax
    assert len(instalments) == 2

    portal_env.smtp.clear()
    today = clock.today()
    planned = plan_debits(service.portal, on=today)
    assert [d.invoice_id for d in planned] == [with_mandate, with_mandate]  # company B has no mandate
    assert sum(d.amount for d in planned) == total
    for debit, (due_on, amount) in zip(planned, instalments):
        assert debit.amount == amount and debit.collection_date >= max(due_on, today + timedelta(days=14))
        assert debit.collection_date.weekday() < 5
    assert plan_debits(service.portal, on=today) == []  # nothing planned or mailed twice

    # One pre-notification for the company and this run, listing both instalments and their total.
    with service.portal.db.engine.connect() as conn:
        keys = conn.execute(select(mail_outbox.c.key).where(mail_outbox.c.key.like("sepa-prenot%"))).scalars().all()
    assert keys == [f"sepa-prenotice-run:{planned[0].id}"]
    service.deliver_mail()
    first, last = planned
    mail = portal_env.smtp.wait_for(
        lambda m: m["To"] == "compta@boulangerie-martin.fr" and "Prélèvements SEPA" in m["Subject"]
    )
    body = mail.get_content()
    assert f"{first.collection_date:%d/%m/%Y}" in mail["Subject"] and "2 échéances" in mail["Subject"]
    number = stored(service, Invoice, id=with_mandate)[0].number
    for rank, debit in enumerate(planned, start=1):
        assert (
            f"- le {debit.collection_date:%d/%m/%Y} : {fr(debit.amount)} (échéance {rank}/2 de la facture {number})"
            in body
        )
    assert f"Total : {fr(total)} (2 prélèvement(s))" in body
    assert f"Référence unique du mandat (RUM) : {first.mandate_reference}" in body
    assert "Identifiant créancier SEPA (ICS) : FR12ZZZ123456" in body

    schema = xmlschema.XMLSchema(PAIN_XSD)
    batch, document = create_batch(service.portal, until=first.collection_date, by="test")
    schema.validate(document.decode())
    assert sequence_types(document) == [b"FRST"] and batch.transaction_count == 1
    assert b"<IBAN>FR7630006000011234567890189</IBAN>" in document
    assert f"<MndtId>{first.mandate_reference}</MndtId>".encode() in document
    second_batch, second = create_batch(service.portal, until=planned[1].collection_date, by="test")
    schema.validate(second.decode())
    assert sequence_types(second) == [b"RCUR"] and second_batch.message_id != batch.message_id
    assert {d.status for d in stored(service, SepaDebit)} == {"transmis"}
    # In a file is not paid: nothing is recorded before the collection dates.
    assert stored(service, Payment, invoice_id=with_mandate) == []
    assert stored(service, Invoice, id=with_mandate)[0].status == "a_payer"
    # At each collection date the settlement records the debit as the invoice's payment, on that date.
    assert settle_due_debits(service.portal, on=first.collection_date - timedelta(days=1)) == 0
    assert settle_due_debits(service.portal, on=last.collection_date) == 2
    settled = stored(service, Invoice, id=with_mandate)[0]
    assert (settled.status, settled.amount_paid) == ("acquittee", total)
    assert {d.status for d in stored(service, SepaDebit)} == {"encaisse"}
    payments = sorted(stored(service, Payment, invoice_id=with_mandate), key=lambda p: p.received_on)
    assert [(p.method, p.received_on) for p in payments] == [
        ("prelevement", debit.collection_date) for debit in planned
    ]
    assert [e.data["method"] for e in service.events() if e.type == "billing.invoice.paid.v1"] == [
        "prelevement",
        "prelevement",
    ]
    with pytest.raises(SepaBatchError):
        create_batch(service.portal, until=date(2099, 1, 1), by="test")

    # The IBAN went into the files only: not into billing's tables, nor into any event billing recorded.
    with service.portal.db.engine.connect() as conn:
        for table in ("billing_customer", "sepa_debit", "sepa_batch", "outbox", "mail_outbox", "payment"):
            rows = conn.execute(text(f"SELECT CAST(t.* AS TEXT) FROM {table} t")).scalars().all()
            assert all("30006000011234567890189" not in row for row in rows), table
        # The kept file is sealed: not even its IBAN's bytes appear in the stored column.
        assert all(
            b"30006000011234567890189" not in bytes(kept)
            for kept in conn.execute(text("SELECT document FROM sepa_batch")).scalars()
        )


def test_a_revoked_mandate_or_collective_proceedings_stop_the_pending_debits(
    service, customers, tariff_2026, billing_consumer
):
    member_a, _ = customers
    consumer = billing_consumer
    signed = catalogue.example_envelope("members.sepa_mandate.signed.v1", member_id=member_a, version=1)
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, signed)
    invoice_declaration(service, member_a, "0b7e4c2a-9d1f-4e3b-8a6c-5d4e3f2a1b0c")
    assert len(plan_debits(service.portal)) == 2
    revoked = catalogue.example_envelope("members.sepa_mandate.revoked.v1", member_id=member_a, version=2)
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, revoked)
    # A late copy of the signature (older version) does not bring the mandate back.
    assert consumer.process(
        MEMBER_DIRECTORY_QUEUE,
        catalogue.example_envelope("members.sepa_mandate.signed.v1", member_id=member_a, version=1),
    )
    assert stored(service, BillingCustomer, member_id=member_a)[0].mandate_status == "revoked"
    assert {d.status for d in stored(service, SepaDebit)} == {"annule"}
    assert plan_debits(service.portal) == []

    renewed = catalogue.example_envelope(
        "members.sepa_mandate.signed.v1", member_id=member_a, version=3, mandate_reference="ADH1000001-20261001-02"
    )
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, renewed)
    assert stored(service, BillingCustomer, member_id=member_a)[0].mandate_status == "active"
    liquidation = catalogue.example_envelope(
        "members.situation.changed.v1", member_id=member_a, kind="liquidation_judiciaire", version=4
    )
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, liquidation)
    assert plan_debits(service.portal) == []  # a company in liquidation is not debited
    customer = stored(service, BillingCustomer, member_id=member_a)[0]
    assert (customer.situation_kind, customer.situation_effective_on) == ("liquidation_judiciaire", date(2026, 12, 31))


def test_a_member_update_refreshes_the_billing_identity_and_an_older_one_changes_nothing(
    service, customers, billing_consumer
):
    member_a, _ = customers
    consumer = billing_consumer
    newer = catalogue.example_envelope(
        "members.member.updated.v1",
        member_id=member_a,
        version=3,
        name="Boulangerie Martin & Fils",
        billing_email="factures@martin.fr",
        address={"line1": "3 place de la Réunion", "line2": None, "postal_code": "68100", "city": "MULHOUSE"},
    )
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, newer)
    older = catalogue.example_envelope("members.member.updated.v1", member_id=member_a, version=2, name="Ancien nom")
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, older)
    customer = stored(service, BillingCustomer, member_id=member_a)[0]
    assert (customer.name, customer.billing_email, customer.address_line1, customer.version) == (
        "Boulangerie Martin & Fils",
        "factures@martin.fr",
        "3 place de la Réunion",
        3,
    )


def test_mandate_events_for_a_company_billing_does_not_know_yet_are_retried_not_lost(service, billing_consumer):
    unknown = catalogue.example_envelope(
        "members.sepa_mandate.signed.v1", member_id="00000000-0000-4000-8000-000000000000"
    )
    with pytest.raises(Exception, match="00000000-0000-4000-8000-000000000000"):
        billing_consumer.process(MEMBER_DIRECTORY_QUEUE, unknown)
    assert stored(service, BillingCustomer) == []


def test_only_billing_staff_plan_debits_and_download_the_file_members_never_see_the_page(service, customers):
    client = service.client()
    member_admin = service.headers(make_principal(member_id=customers[0], roles=("admin",)))
    assert client.get("/gestion/factures/prelevements", headers=member_admin).status_code == 403
    secretary = make_principal(staff_roles=("secretariat",))
    page = client.get("/gestion/factures/prelevements", headers=service.headers(secretary))
    assert page.status_code == 200 and "Aucun prélèvement." in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert (
        client.post(
            "/gestion/factures/prelevements/preparer", data={"csrf_token": token}, headers=service.headers(secretary)
        ).status_code
        == 403
    )
    billing_staff = make_principal(staff_roles=("billing",))
    page = client.get("/gestion/factures/prelevements", headers=service.headers(billing_staff))
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = client.post(
        "/gestion/factures/prelevements/lots",
        data={"csrf_token": token, "until": "demain"},
        headers=service.headers(billing_staff),
    )
    assert bad.status_code == 422 and "Saisissez la date limite des prélèvements" in bad.text
    empty = client.post(
        "/gestion/factures/prelevements/lots",
        data={"csrf_token": token, "until": "2026-12-31"},
        headers=service.headers(billing_staff),
    )
    assert empty.status_code == 422 and "Aucun prélèvement pré-notifié" in empty.text


def test_a_debit_whose_invoice_was_paid_meanwhile_is_cancelled_not_sent(
    service, customers, tariff_2026, billing_consumer, sign_mandate_at_members
):
    member_a, _ = customers
    assert billing_consumer.process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(member_a))
    invoice_id = invoice_declaration(service, member_a, "0b7e4c2a-9d1f-4e3b-8a6c-5d4e3f2a1b0c")
    planned = plan_debits(service.portal)
    total = stored(service, Invoice, id=invoice_id)[0].amount_incl_tax
    record_payment(service.portal, invoice_id, PaymentInput("virement", total, clock.today(), "VIR 1"), by="staff")
    with pytest.raises(SepaBatchError):
        create_batch(service.portal, until=max(d.collection_date for d in planned), by="test")
    assert {d.status for d in stored(service, SepaDebit)} == {"annule"}
    assert [p.method for p in stored(service, Payment)] == ["virement"]


# --- a credit note or a payment lowers the debits already announced -------------------------------------------
@pytest.fixture
def annual_fee_with_three_debits(service, billing_consumer, sign_mandate_at_members):
    """A 6 000,00 € annual fee (3 instalments of 2 000,00 €) under an active mandate, its debits pre-notified."""
    return lambda member_id: annual_fee_under_mandate(service, billing_consumer, sign_mandate_at_members, member_id)


def annual_fee_under_mandate(service, billing_consumer, sign_mandate_at_members, member_id):
    assert billing_consumer.process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(member_id))
    invoice = issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind="cotisation",
            period="2026",
            lines=(LineInput("Cotisation 2026", Decimal(1), Decimal("5000.00")),),
        ),
    )
    planned = plan_debits(service.portal)
    assert [d.amount for d in planned] == [Decimal("2000.00")] * 3
    return invoice, planned


def debits_of(service, invoice_id):
    """(amount, status) of the invoice's debits, earliest first."""
    with service.portal.db.session_factory() as session:
        return [
            (d.amount, d.status)
            for d in session.scalars(
                select(SepaDebit).where(SepaDebit.invoice_id == invoice_id).order_by(SepaDebit.collection_date)
            )
        ]


def corrections(service):
    """The corrected pre-notifications queued: key -> (recipient, subject, body)."""
    with service.portal.db.engine.connect() as conn:
        rows = conn.execute(
            select(mail_outbox.c.key, mail_outbox.c.recipient, mail_outbox.c.subject, mail_outbox.c.body).where(
                mail_outbox.c.key.like("sepa-prenotification:%:%")
            )
        )
        return {row.key: (row.recipient, row.subject, row.body) for row in rows}


def test_a_credit_note_lowers_the_latest_pending_debits_and_announces_each_change(
    service, customers, annual_fee_with_three_debits
):
    member_a, _ = customers
    invoice, planned = annual_fee_with_three_debits(member_a)
    first, second, third = planned
    # 2 500,00 € HT credited = 3 000,00 € TTC: 3 000,00 € left to pay, the third debit goes, the second halves.
    issue_credit_note(
        service.portal, invoice.id, label="Effectif corrigé", amount_excl_tax=Decimal("2500.00"), cancel_all=False
    )
    assert stored(service, Invoice, id=invoice.id)[0].amount_due == Decimal("3000.00")
    assert debits_of(service, invoice.id) == [
        (Decimal("2000.00"), "prenotifie"),
        (Decimal("1000.00"), "prenotifie"),
        (Decimal("0.00"), "annule"),
    ]
    mails = corrections(service)
    assert set(mails) == {f"sepa-prenotification:{second.id}:1000.00", f"sepa-prenotification:{third.id}:0.00"}
    to, subject, body = mails[f"sepa-prenotification:{second.id}:1000.00"]
    assert to == "compta@boulangerie-martin.fr"
    assert subject == f"Prélèvement SEPA du {second.collection_date:%d/%m/%Y} modifié : facture {invoice.number}"
    assert (
        f"prélèvera 1{NNBSP}000,00{NBSP}€ au lieu de 2{NNBSP}000,00{NBSP}€ sur votre compte le "
        f"{second.collection_date:%d/%m/%Y}"
    ) in body
    assert f"Montant : 1{NNBSP}000,00{NBSP}€" in body and "Identifiant créancier SEPA (ICS) : FR12ZZZ123456" in body
    assert f"(échéance 2/3 de la facture {invoice.number})" in body
    _, subject, body = mails[f"sepa-prenotification:{third.id}:0.00"]
    assert subject == f"Prélèvement SEPA du {third.collection_date:%d/%m/%Y} annulé : facture {invoice.number}"
    assert f"le prélèvement de 2{NNBSP}000,00{NBSP}€ annoncé pour le {third.collection_date:%d/%m/%Y}" in body

    # A transfer of 500,00 € lowers the second debit again (one more notice), the first one never moves.
    record_payment(
        service.portal, invoice.id, PaymentInput("virement", Decimal("500.00"), clock.today(), "VIR 2"), by="staff"
    )
    assert debits_of(service, invoice.id) == [
        (Decimal("2000.00"), "prenotifie"),
        (Decimal("500.00"), "prenotifie"),
        (Decimal("0.00"), "annule"),
    ]
    assert f"sepa-prenotification:{second.id}:500.00" in corrections(service)
    assert len(corrections(service)) == 3
    assert "d'un règlement reçu" in corrections(service)[f"sepa-prenotification:{second.id}:500.00"][2]

    # The next pain.008 file carries the lowered amounts, never the cancelled debit.
    batch, document = create_batch(service.portal, until=third.collection_date, by="test")
    xmlschema.XMLSchema(PAIN_XSD).validate(document.decode())
    assert re.findall(rb'<InstdAmt Ccy="EUR">([0-9.]+)</InstdAmt>', document) == [b"2000.00", b"500.00"]
    assert (batch.transaction_count, batch.control_sum) == (2, Decimal("2500.00"))
    assert f"{third.id[:8]}".encode() not in document
    assert len(corrections(service)) == 3  # exporting the debits announced nothing more
    assert stored(service, Invoice, id=invoice.id)[0].amount_due == Decimal("2500.00")  # in flight, not paid
    assert settle_due_debits(service.portal, on=third.collection_date) == 2
    settled = stored(service, Invoice, id=invoice.id)[0]
    assert (settled.status, settled.amount_due) == ("acquittee", Decimal("0.00"))
    assert debits_of(service, invoice.id) == [
        (Decimal("2000.00"), "encaisse"),
        (Decimal("500.00"), "encaisse"),
        (Decimal("0.00"), "annule"),
    ]
    assert len(corrections(service)) == 3  # collecting them announced nothing more either


def test_a_debit_already_in_a_file_is_left_alone_and_what_it_took_too_much_stays_the_company_credit(
    service, customers, annual_fee_with_three_debits
):
    member_a, _ = customers
    invoice, (first, second, third) = annual_fee_with_three_debits(member_a)
    create_batch(service.portal, until=first.collection_date, by="test")
    assert stored(service, Invoice, id=invoice.id)[0].amount_due == Decimal("6000.00")  # in flight, not paid
    # Everything cancelled: the two announced debits go, the one sent stays sent; once it is collected, its
    # 2 000,00 € are owed back.
    note = issue_credit_note(
        service.portal, invoice.id, label="Adhésion annulée", amount_excl_tax=None, cancel_all=True
    )
    assert debits_of(service, invoice.id) == [
        (Decimal("2000.00"), "transmis"),
        (Decimal("0.00"), "annule"),
        (Decimal("0.00"), "annule"),
    ]
    assert set(corrections(service)) == {
        f"sepa-prenotification:{second.id}:0.00",
        f"sepa-prenotification:{third.id}:0.00",
    }
    # The credit note is never payable; the 2 000,00 € it gives back are the company's credit on its account.
    assert stored(service, Invoice, id=note.id)[0].amount_due == Decimal("0.00")
    with service.portal.db.session_factory() as session:
        held = account_in(session, member_a)
    assert (held.balance, held.credit, held.pending) == (Decimal("0.00"), Decimal("0.00"), Decimal("2000.00"))
    assert settle_due_debits(service.portal, on=first.collection_date) == 1
    with service.portal.db.session_factory() as session:
        held = account_in(session, member_a)
    assert (held.balance, held.credit, held.label) == (Decimal("-2000.00"), Decimal("2000.00"), "Solde créditeur")
    assert held.pending == Decimal("0.00")
    with pytest.raises(SepaBatchError):
        create_batch(service.portal, until=third.collection_date, by="test")


def test_a_credit_note_of_one_instalment_cancels_the_last_debit_only(service, customers, annual_fee_with_three_debits):
    member_a, _ = customers
    invoice, (first, second, third) = annual_fee_with_three_debits(member_a)
    issue_credit_note(
        service.portal, invoice.id, label="Effectif corrigé", amount_excl_tax=Decimal("1666.67"), cancel_all=False
    )  # 2 000,00 € TTC
    assert stored(service, Invoice, id=invoice.id)[0].amount_due == Decimal("4000.00")
    assert debits_of(service, invoice.id) == [
        (Decimal("2000.00"), "prenotifie"),
        (Decimal("2000.00"), "prenotifie"),
        (Decimal("0.00"), "annule"),
    ]
    assert set(corrections(service)) == {f"sepa-prenotification:{third.id}:0.00"}


def test_a_cancelled_estimate_announces_its_lowered_debits_in_the_name_of_the_settings_creditor(
    service, customers, tariff_2026, billing_consumer, sign_mandate_at_members
):
    """The declarations consumer has no request: the creditor its corrected notices name comes from the
    settings the worker's subscriptions were built with."""
    member_a, _ = customers
    assert billing_consumer.process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(member_a))
    issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_a,
            kind="facture_office",
            period="2026",
            source_key=estimate_key(member_a, 2026),
            lines=(LineInput("Cotisation 2026 (facture d'office)", Decimal(1), Decimal("5000.00")),),
        ),
    )
    assert len(plan_debits(service.portal)) == 3
    declaration = catalogue.example_envelope("workforce.declaration.confirmed.v1", member_id=member_a, year=2026)
    assert billing_consumer.process(DECLARATIONS_QUEUE, declaration)
    settings = service.portal.settings
    notices = corrections(service)
    assert len(notices) == 3
    for _, _, body in notices.values():  # all three cancelled: each names the creditor's ICS
        assert f"Identifiant créancier SEPA (ICS) : {settings.creditor_identifier}" in body


def test_a_rejected_debit_makes_the_invoice_owed_again_before_or_after_its_collection(
    service, customers, annual_fee_with_three_debits
):
    member_a, _ = customers
    invoice, (first, second, _) = annual_fee_with_three_debits(member_a)
    # Rejected while in flight: nothing had been paid, nothing to reverse; it simply stops being « en cours ».
    create_batch(service.portal, until=first.collection_date, by="test")
    reject_debit(service.portal, first.id, by="staff-1")
    [after] = stored(service, Invoice, id=invoice.id)
    assert (after.amount_due, after.status) == (Decimal("6000.00"), "a_payer")
    with service.portal.db.session_factory() as session:
        held = account_in(session, member_a)
        assert (held.balance, held.pending) == (Decimal("6000.00"), Decimal("0.00"))
    assert stored(service, Payment, invoice_id=invoice.id) == []
    assert settle_due_debits(service.portal, on=second.collection_date) == 0  # a rejected debit is never collected
    with pytest.raises(DebitNotRejectable):
        reject_debit(service.portal, first.id, by="staff-1")

    # Rejected after its collection: its payment is reversed and the account records the reject once.
    create_batch(service.portal, until=second.collection_date, by="test")
    assert settle_due_debits(service.portal, on=second.collection_date) == 1
    assert stored(service, Invoice, id=invoice.id)[0].amount_due == Decimal("4000.00")
    reject_debit(service.portal, second.id, by="staff-1")
    [after] = stored(service, Invoice, id=invoice.id)
    assert (after.amount_due, after.status) == (Decimal("6000.00"), "a_payer")
    with service.portal.db.session_factory() as session:
        assert account_in(session, member_a).balance == Decimal("6000.00")
        assert violations(session) == []
    assert stored(service, Payment, invoice_id=invoice.id)[0].reversed_on is not None
    with pytest.raises(DebitNotRejectable):
        reject_debit(service.portal, second.id, by="staff-1")
    staff = service.headers(make_principal(staff_roles=("billing",)))
    page = service.client().get("/gestion/factures/prelevements", headers=staff).text
    assert page.count("Rejeté par la banque") == 2


def test_preparing_the_debits_twice_at_once_plans_each_instalment_once_and_never_fails(
    service, customers, billing_consumer, sign_mandate_at_members
):
    member_a, _ = customers
    assert billing_consumer.process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(member_a))
    issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_a,
            kind="cotisation",
            period="2026",
            lines=(LineInput("Cotisation 2026", Decimal(1), Decimal("5000.00")),),
        ),
    )
    start = threading.Barrier(2)

    def plan(_):
        start.wait()
        return len(plan_debits(service.portal))

    with ThreadPoolExecutor(2) as pool:
        counts = sorted(pool.map(plan, range(2)))
    assert counts == [0, 3]
    staff = service.headers(make_principal(staff_roles=("billing",)))
    client = service.client()
    token = client.get("/gestion/factures/prelevements", headers=staff).text.split('name="csrf_token" value="')[1]
    again = client.post(
        "/gestion/factures/prelevements/preparer", headers=staff, data={"csrf_token": token.split('"')[0]}
    )
    assert again.status_code == 302
    assert "Aucune nouvelle échéance à prélever." in client.get("/gestion/factures/prelevements", headers=staff).text


def test_one_pre_notification_per_member_and_run_lists_the_instalments_of_all_its_invoices(
    service, customers, billing_consumer, sign_mandate_at_members
):
    member_a, _ = customers
    assert billing_consumer.process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(member_a))

    def issue(kind, label, amount):
        return issue_invoice(
            service.portal,
            IssueCommand(
                member_id=member_a, kind=kind, period="2026", lines=(LineInput(label, Decimal(1), Decimal(amount)),)
            ),
        )

    def prenotices():
        with service.portal.db.engine.connect() as conn:
            return conn.execute(
                select(mail_outbox.c.key, mail_outbox.c.recipient, mail_outbox.c.subject, mail_outbox.c.body)
                .where(mail_outbox.c.key.like("sepa-prenotice%"))
                .order_by(mail_outbox.c.key)
            ).all()

    annual, no_show = issue("cotisation", "Cotisation 2026", "5000.00"), issue("absence", "Absence", "50.00")
    first_run = plan_debits(service.portal)
    assert sorted(d.invoice_id for d in first_run) == sorted([annual.id] * 3 + [no_show.id])
    # Four instalments of two invoices: one e-mail for the company and the run, never one per instalment.
    [(key, to, subject, body)] = prenotices()
    assert key == f"sepa-prenotice-run:{first_run[0].id}" and to == "compta@boulangerie-martin.fr"
    assert "4 échéances" in subject
    assert body.count("- le ") == 4 and f"de la facture {no_show.number})" in body
    assert all(f"échéance {rank}/3 de la facture {annual.number})" in body for rank in (1, 2, 3))
    total = sum((d.amount for d in first_run), Decimal(0))
    assert f"Total : {fr(total)} (4 prélèvement(s))" in body

    # A later run announces only what it plans, in its own single e-mail.
    late_hire = issue("embauche", "Embauche après la déclaration", "97.35")
    [second_run] = plan_debits(service.portal)
    assert second_run.invoice_id == late_hire.id
    sent = prenotices()
    assert len(sent) == 2
    [(_, _, subject, body)] = [row for row in sent if row.key == f"sepa-prenotice-run:{second_run.id}"]
    assert f"facture {late_hire.number}" in subject and body.count("- le ") == 1


# --- a debit is « en cours » until its collection date -----------------------------------------------------------
def test_an_exported_debit_is_pending_not_paid_on_every_page_and_the_api_until_its_collection_date(
    service, customers, annual_fee_with_three_debits
):
    member_a, _ = customers
    invoice, (first, second, third) = annual_fee_with_three_debits(member_a)
    create_batch(service.portal, until=first.collection_date, by="test")
    client = service.client()
    reader = service.headers(make_principal(member_id=member_a, roles=("billing",)))
    staff = service.headers(make_principal(staff_roles=("billing",)))
    in_flight = f"2{NNBSP}000,00{NBSP}€"

    listing = client.get("/factures?annee=" + str(invoice.issued_on.year), headers=reader).text
    unpaid = listing.split('id="non-reglees"')[1].split('id="acquittees"')[0]
    assert invoice.number in unpaid and "Prélèvement en cours" in unpaid and "Acquittée" not in unpaid
    assert f"dont {in_flight} en cours de prélèvement" in unpaid
    assert f"Prélèvement en cours : {in_flight}" in listing
    assert f"Solde restant dû : 6{NNBSP}000,00{NBSP}€" in listing
    statement = client.get("/factures/echeancier", headers=reader).text
    assert f"Prélèvement en cours : {in_flight}" in statement
    record = client.get(f"/gestion/factures/{invoice.id}", headers=staff).text
    assert "Prélèvement en cours" in record and "Acquittée" not in record
    shown = client.get(f"/api/billing/invoices/{invoice.id}", headers=reader).json
    assert (shown["status"], shown["status_label"]) == ("a_payer", "Prélèvement en cours")
    assert (shown["amount_due"], shown["amount_debit_in_flight"]) == ("6000.00", "2000.00")
    [listed] = client.get("/api/billing/invoices", headers=reader).json
    assert listed["amount_debit_in_flight"] == "2000.00"
    account = client.get(f"/api/billing/members/{member_a}/account", headers=reader).json
    assert (account["balance"], account["due"], account["pending"]) == ("6000.00", "6000.00", "2000.00")

    # The settlement, the day before the collection date, collects nothing; on the day, the debit is paid.
    assert settle_due_debits(service.portal, on=first.collection_date - timedelta(days=1)) == 0
    assert settle_due_debits(service.portal, on=first.collection_date) == 1
    shown = client.get(f"/api/billing/invoices/{invoice.id}", headers=reader).json
    assert (shown["status"], shown["status_label"], shown["amount_due"], shown["amount_debit_in_flight"]) == (
        "partiellement_payee",
        "Partiellement payée",
        "4000.00",
        "0.00",
    )
    account = client.get(f"/api/billing/members/{member_a}/account", headers=reader).json
    assert (account["balance"], account["pending"]) == ("4000.00", "0.00")
    with service.portal.db.session_factory() as session:
        assert violations(session) == []


def test_a_card_payment_takes_only_what_no_debit_in_flight_will_take(
    service, customers, monkeypatch, annual_fee_with_three_debits
):
    member_a, _ = customers
    invoice, (first, _, _) = annual_fee_with_three_debits(member_a)
    create_batch(service.portal, until=first.collection_date, by="test")
    monkeypatch.setattr("billing.payments.use_cases.card_enabled", lambda portal: True)
    attempt = start_card_payment(service.portal, invoice.id, member_id=member_a, by="member")
    assert attempt.amount == Decimal("4000.00")


def test_staff_mark_a_debit_collected_only_from_its_collection_date(
    service, customers, monkeypatch, annual_fee_with_three_debits
):
    member_a, _ = customers
    invoice, (first, second, _) = annual_fee_with_three_debits(member_a)
    with pytest.raises(DebitNotCollectable):  # not in a file yet
        collect_debit(service.portal, first.id, by="staff-1")
    create_batch(service.portal, until=first.collection_date, by="test")
    staff = service.headers(make_principal(staff_roles=("billing",)))
    client = service.client()
    token = client.get("/gestion/factures/prelevements", headers=staff).text.split('name="csrf_token" value="')[1]
    early = client.post(
        f"/gestion/factures/prelevements/{first.id}/encaissement",
        headers=staff,
        data={"csrf_token": token[:200].split('"')[0]},
    )
    assert early.status_code == 409
    assert f"à partir du {first.collection_date:%d/%m/%Y}, sa date d" in early.text
    assert stored(service, Payment, invoice_id=invoice.id) == []

    monkeypatch.setattr("billing.sepa.use_cases.debits.today", lambda: first.collection_date)
    page = client.get("/gestion/factures/prelevements", headers=staff).text
    assert "Marquer comme encaissé" in page
    done = client.post(
        f"/gestion/factures/prelevements/{first.id}/encaissement",
        headers=staff,
        data={"csrf_token": token.split('"')[0]},
    )
    assert done.status_code == 302
    [payment] = stored(service, Payment, invoice_id=invoice.id)
    assert (payment.method, payment.amount, payment.received_on) == (
        "prelevement",
        Decimal("2000.00"),
        first.collection_date,
    )
    assert stored(service, SepaDebit, id=first.id)[0].status == "encaisse"
    with pytest.raises(DebitNotCollectable):  # once only
        collect_debit(service.portal, first.id, by="staff-1")
    member_admin = service.headers(make_principal(member_id=member_a, roles=("admin",)))
    assert client.post(
        f"/gestion/factures/prelevements/{second.id}/encaissement", headers=member_admin, data={"csrf_token": "x"}
    ).status_code in (400, 403)


def test_the_worker_settles_the_debits_whose_collection_date_has_come_by_itself(
    service, customers, monkeypatch, annual_fee_with_three_debits
):
    member_a, _ = customers
    invoice, (first, _, _) = annual_fee_with_three_debits(member_a)
    create_batch(service.portal, until=first.collection_date, by="test")
    monkeypatch.setattr("billing.sepa.use_cases.debits.today", lambda: first.collection_date)
    settlement = start_settlement(service.app, every=0.05)
    try:
        deadline = time.monotonic() + 20
        while stored(service, SepaDebit, id=first.id)[0].status != "encaisse":
            assert time.monotonic() < deadline, "the worker never settled the debit"
            time.sleep(0.05)
    finally:
        settlement.stop()
        settlement.thread.join(5)
    assert stored(service, Invoice, id=invoice.id)[0].amount_due == Decimal("4000.00")


def test_the_generated_file_downloads_again_byte_for_byte_for_billing_staff_only_and_is_logged(
    service, customers, caplog, annual_fee_with_three_debits
):
    member_a, _ = customers
    _, (first, _, _) = annual_fee_with_three_debits(member_a)
    batch, document = create_batch(service.portal, until=first.collection_date, by="test")
    client = service.client()
    billing_staff = make_principal(staff_roles=("billing",))
    page = client.get("/gestion/factures/prelevements", headers=service.headers(billing_staff)).text
    path = f"/gestion/factures/prelevements/lots/{batch.id}/fichier"
    assert path in page and batch.message_id in page
    with caplog.at_level(logging.INFO, logger="billing.sepa.use_cases.debits"):
        again = client.get(path, headers=service.headers(billing_staff))
    assert again.status_code == 200 and again.data == document
    assert again.headers["Content-Disposition"] == f'attachment; filename="{batch.message_id}.xml"'
    assert again.headers["Cache-Control"] == "no-store"
    [logged] = [r for r in caplog.records if r.getMessage() == "sepa file downloaded"]
    assert (logged.batch_id, logged.by) == (batch.id, billing_staff.user_id)
    assert "3000600001" not in caplog.text
    secretary = service.headers(make_principal(staff_roles=("secretariat",)))
    member_admin = service.headers(make_principal(member_id=member_a, roles=("admin",)))
    assert client.get(path, headers=secretary).status_code == 403
    assert client.get(path, headers=member_admin).status_code == 403
    assert (
        client.get(
            "/gestion/factures/prelevements/lots/nope/fichier", headers=service.headers(billing_staff)
        ).status_code
        == 404
    )
