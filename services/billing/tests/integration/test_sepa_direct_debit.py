"""SEPA direct debit: the mandate from members' events, the discount, pre-notifications at least 14 days
ahead, and the pain.008 batch (FRST then RCUR) built with the IBAN read from the real members service."""

import os
import re
import threading
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
from billing.payments.use_cases import record_payment
from billing.sepa.rules import DebitNotRejectable, SepaBatchError
from billing.sepa.use_cases.debits import create_batch, plan_debits, reject_debit
from billing.worker import DECLARATIONS_QUEUE, MEMBER_DIRECTORY_QUEUE, subscriptions
from portal_common import clock
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

IBAN = "FR76 3000 6000 0112 3456 7890 189"
NBSP, NNBSP = "\u00a0", "\u202f"
PAIN_XSD = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.008.001.02.xsd")


def consumer_of(service):
    return Consumer(
        service="billing",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


def sign_mandate_at_members(members, member_id):
    """The company registers and signs its mandate at members, staff validate it: members publishes the event."""
    from members.registration import use_cases as member_services
    from members.registration.rules import Registration

    member_services.register_member(
        members.portal,
        Registration(
            name="Boulangerie Martin",
            siret="73282932000074",
            naf_code="10.71C",
            address_line1="12 rue de la Gare",
            address_line2=None,
            postal_code="68100",
            city="Mulhouse",
            email="contact@example.fr",
            phone="03 89 12 34 56",
            billing_email="compta@boulangerie-martin.fr",
            adhesion_date=date(2015, 3, 1),
        ),
        member_id=member_id,
        member_number="1000001",
    )
    client = members.client()
    admin = members.headers(make_principal(member_id=member_id, roles=("admin",), grants=("step_up",)))
    staff = members.headers(make_principal(staff_roles=("secretariat",)))
    signed = client.post(
        f"/api/members/members/{member_id}/sepa-mandate",
        headers=admin,
        json={"iban": IBAN, "holder": "Boulangerie Martin", "email": "compta@boulangerie-martin.fr", "consent": True},
    )
    assert signed.status_code == 201, signed.json
    [request] = client.get("/api/members/change-requests", headers=staff).json
    assert (
        client.post(f"/api/members/change-requests/{request['id']}/approve", json={}, headers=staff).status_code == 200
    )
    [event] = [e for e in members.events() if e.type == "members.sepa_mandate.signed.v1"]
    return event


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


def sequence_types(document: bytes) -> list[str]:
    return re.findall(rb"<SeqTp>([A-Z]{4})</SeqTp>", document)


def test_a_signed_mandate_brings_the_discount_prenotifications_and_a_valid_pain008_first_then_recurring(
    service, customers, members, tariff_2026, portal_env
):
    member_a, member_b = customers
    event = sign_mandate_at_members(members, member_a)
    assert consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, event) is True
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

    assert service.deliver_mail() == 2
    first = planned[0]
    mail = portal_env.smtp.wait_for(
        lambda m: (
            m["To"] == "compta@boulangerie-martin.fr" and first.collection_date.strftime("%d/%m/%Y") in m["Subject"]
        )
    )
    body = mail.get_content()
    amount_fr = f"{first.amount:,.2f}".replace(",", NNBSP).replace(".", ",") + f"{NBSP}€"
    assert f"Référence unique du mandat (RUM) : {first.mandate_reference}" in body
    assert "Identifiant créancier SEPA (ICS) : FR12ZZZ123456" in body
    assert f"Montant : {amount_fr}" in body
    assert f"Date du prélèvement : {first.collection_date:%d/%m/%Y}" in body

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
    # Each debit sent is the invoice's payment at its collection date: the invoice is settled.
    settled = stored(service, Invoice, id=with_mandate)[0]
    assert (settled.status, settled.amount_paid) == ("acquittee", total)
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


def test_a_revoked_mandate_or_collective_proceedings_stop_the_pending_debits(service, customers, tariff_2026):
    member_a, _ = customers
    consumer = consumer_of(service)
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


def test_a_member_update_refreshes_the_billing_identity_and_an_older_one_changes_nothing(service, customers):
    member_a, _ = customers
    consumer = consumer_of(service)
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


def test_mandate_events_for_a_company_billing_does_not_know_yet_are_retried_not_lost(service):
    unknown = catalogue.example_envelope(
        "members.sepa_mandate.signed.v1", member_id="00000000-0000-4000-8000-000000000000"
    )
    with pytest.raises(Exception, match="00000000-0000-4000-8000-000000000000"):
        consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, unknown)
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


def test_a_debit_whose_invoice_was_paid_meanwhile_is_cancelled_not_sent(service, customers, members, tariff_2026):
    member_a, _ = customers
    assert consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(members, member_a))
    invoice_id = invoice_declaration(service, member_a, "0b7e4c2a-9d1f-4e3b-8a6c-5d4e3f2a1b0c")
    planned = plan_debits(service.portal)
    total = stored(service, Invoice, id=invoice_id)[0].amount_incl_tax
    record_payment(service.portal, invoice_id, PaymentInput("virement", total, clock.today(), "VIR 1"), by="staff")
    with pytest.raises(SepaBatchError):
        create_batch(service.portal, until=max(d.collection_date for d in planned), by="test")
    assert {d.status for d in stored(service, SepaDebit)} == {"annule"}
    assert [p.method for p in stored(service, Payment)] == ["virement"]


# --- a credit note or a payment lowers the debits already announced -------------------------------------------
def annual_fee_with_three_debits(service, members, member_id):
    """A 6 000,00 € annual fee (3 instalments of 2 000,00 €) under an active mandate, its debits pre-notified."""
    assert consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(members, member_id))
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


def test_a_credit_note_lowers_the_latest_pending_debits_and_announces_each_change(service, customers, members):
    member_a, _ = customers
    invoice, planned = annual_fee_with_three_debits(service, members, member_a)
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
    settled = stored(service, Invoice, id=invoice.id)[0]
    assert (settled.status, settled.amount_due) == ("acquittee", Decimal("0.00"))
    assert debits_of(service, invoice.id) == [
        (Decimal("2000.00"), "transmis"),
        (Decimal("500.00"), "transmis"),
        (Decimal("0.00"), "annule"),
    ]


def test_a_debit_already_in_a_file_is_left_alone_and_what_it_took_too_much_stays_the_company_credit(
    service, customers, members
):
    member_a, _ = customers
    invoice, (first, second, third) = annual_fee_with_three_debits(service, members, member_a)
    create_batch(service.portal, until=first.collection_date, by="test")
    assert stored(service, Invoice, id=invoice.id)[0].amount_due == Decimal("4000.00")
    # Everything cancelled: the two announced debits go, the one sent stays sent, 2 000,00 € are owed back.
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
    assert (held.balance, held.credit, held.label) == (Decimal("-2000.00"), Decimal("2000.00"), "Solde créditeur")
    with pytest.raises(SepaBatchError):
        create_batch(service.portal, until=third.collection_date, by="test")


def test_a_credit_note_of_one_instalment_cancels_the_last_debit_only(service, customers, members):
    member_a, _ = customers
    invoice, (first, second, third) = annual_fee_with_three_debits(service, members, member_a)
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
    service, customers, members, tariff_2026
):
    """The declarations consumer has no request: the creditor its corrected notices name comes from the
    settings the worker's subscriptions were built with."""
    member_a, _ = customers
    assert consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(members, member_a))
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
    assert consumer_of(service).process(DECLARATIONS_QUEUE, declaration)
    settings = service.portal.settings
    notices = corrections(service)
    assert len(notices) == 3
    for _, _, body in notices.values():  # all three cancelled: each names the creditor's ICS
        assert f"Identifiant créancier SEPA (ICS) : {settings.creditor_identifier}" in body


def test_a_rejected_debit_makes_the_invoice_owed_again_and_the_account_records_it_once(service, customers, members):
    member_a, _ = customers
    invoice, (first, _, _) = annual_fee_with_three_debits(service, members, member_a)
    create_batch(service.portal, until=first.collection_date, by="test")
    assert stored(service, Invoice, id=invoice.id)[0].amount_due == Decimal("4000.00")
    reject_debit(service.portal, first.id, by="staff-1")
    [after] = stored(service, Invoice, id=invoice.id)
    assert (after.amount_due, after.status) == (Decimal("6000.00"), "a_payer")
    with service.portal.db.session_factory() as session:
        assert account_in(session, member_a).balance == Decimal("6000.00")
        assert violations(session) == []
    assert stored(service, Payment, invoice_id=invoice.id)[0].reversed_on is not None
    with pytest.raises(DebitNotRejectable):
        reject_debit(service.portal, first.id, by="staff-1")
    staff = service.headers(make_principal(staff_roles=("billing",)))
    page = service.client().get("/gestion/factures/prelevements", headers=staff).text
    assert "Rejeté par la banque" in page


def test_preparing_the_debits_twice_at_once_plans_each_instalment_once_and_never_fails(service, customers, members):
    member_a, _ = customers
    assert consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(members, member_a))
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
