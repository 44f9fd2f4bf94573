"""E-mails of billing facts over the real SMTP path (mail outbox → relay's sender → aiosmtpd): a new invoice, a
facture d'office, a credit note, a payment received and a refund, each to the billing address, in French, with
its amount, its number and a link; one per fact, none for a change rolled back. And the automatic offset of a
credit against the next invoice (« Compensation avoir »)."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billing.credit_notes.use_cases import issue_credit_note
from billing.invoices.rules import InvoiceRejected, IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.ledger.queries import account_in, violations
from billing.ledger.use_cases import refund_credit
from billing.models import Invoice, LedgerEntry, mail_outbox
from billing.payments.rules import PaymentInput
from billing.payments.use_cases import record_payment
from billing.worker import CAMPAIGNS_QUEUE, DECLARATIONS_QUEUE, subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.messaging.envelope import Envelope

pytestmark = pytest.mark.integration

NBSP, NNBSP = "\u00a0", "\u202f"
BILLING_ADDRESS = "compta@boulangerie-martin.fr"
PUBLIC_URL = "http://127.0.0.1:8080"


def euros(text: str) -> str:
    """« 1 401,84 € » as portal_common.formats writes it."""
    units, cents = text.split(".")
    grouped = f"{int(units):,}".replace(",", NNBSP)
    return f"{grouped},{cents}{NBSP}€"


def issue(service, member_id, kind="cotisation", unit_price="97.35", quantity="12"):
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind=kind,
            issued_on=date(2026, 2, 15),
            period="2026",
            lines=(LineInput(f"Prestation {kind}", Decimal(quantity), Decimal(unit_price)),),
        ),
    )


def delivered(service, portal_env, subject_part: str):
    """Send what the relay would send, then the message whose subject names `subject_part`."""
    service.deliver_mail()
    return portal_env.smtp.wait_for(lambda m: m["To"] == BILLING_ADDRESS and subject_part in m["Subject"])


def queued_count(service) -> int:
    with service.portal.db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(mail_outbox))


def consumer_of(service):
    return Consumer(
        service="billing",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


def campaign_closed(member_id, headcount):
    envelope = Envelope.new(
        "workforce.campaign.closed.v1",
        producer="workforce",
        subject="5a0c3e1d-2b4f-4c6a-9e8d-7f6a5b4c3d2e",
        member_id=None,
        data={
            "campaign_id": "5a0c3e1d-2b4f-4c6a-9e8d-7f6a5b4c3d2e",
            "year": 2026,
            "closed_at": "2026-02-01T08:00:00Z",
            "undeclared": [
                {
                    "member_id": member_id,
                    "headcount": {"SI": headcount, "SIA": 0, "SIR": 0},
                    "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0},
                }
            ],
        },
    )
    catalogue.validate(envelope)
    return envelope


def declaration_confirmed(member_id, headcount):
    envelope = Envelope.new(
        "workforce.declaration.confirmed.v1",
        producer="workforce",
        subject="d",
        member_id=member_id,
        data={
            "declaration_id": str(uuid.uuid4()),
            "member_id": member_id,
            "year": 2026,
            "headcount": {"SI": headcount, "SIA": 0, "SIR": 0},
            "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0},
            "total": headcount,
            "confirmed_at": "2026-02-10T09:30:00Z",
            "version": 1,
        },
    )
    catalogue.validate(envelope)
    return envelope


def test_a_new_invoice_is_e_mailed_once_with_its_number_amount_schedule_and_pdf_link(service, customers, portal_env):
    member_a, _ = customers
    portal_env.smtp.clear()  # the run's server: earlier tests' numbers come again
    invoice = issue(service, member_a)  # 12 × 97,35 € HT = 1 401,84 € TTC, in two instalments
    mail = delivered(service, portal_env, invoice.number)
    body = mail.get_content()
    assert mail["Subject"] == f"Nouvelle facture {invoice.number} : cotisation annuelle 2026"
    assert f"La facture {invoice.number} du {invoice.issued_on:%d/%m/%Y} (Cotisation annuelle, période 2026)" in body
    assert f"Montant TTC : {euros('1401.84')}" in body and f"Reste à payer : {euros('1401.84')}" in body
    assert "Échéancier :" in body
    assert f"Consulter et télécharger le document : {PUBLIC_URL}/factures/{invoice.id}/pdf" in body
    # A second annual fee of 2026 is refused: its transaction rolls back, and no mail is queued for it.
    before = queued_count(service)
    with pytest.raises(InvoiceRejected):
        issue(service, member_a)
    assert queued_count(service) == before
    assert service.deliver_mail() == 0  # the first one was sent once


def test_a_facture_d_office_then_its_credit_note_and_the_declared_invoice_are_each_e_mailed(
    service, customers, tariff_2026, portal_env
):
    member_a, _ = customers
    portal_env.smtp.clear()  # the run's server: earlier tests' numbers come again
    consumer = consumer_of(service)
    assert consumer.process(CAMPAIGNS_QUEUE, campaign_closed(member_a, 3)) is True
    with service.portal.db.session_factory() as session:
        estimate = session.scalars(select(Invoice).where(Invoice.kind == "facture_office")).one()
    mail = delivered(service, portal_env, f"Facture d'office {estimate.number}")
    body = mail.get_content()
    assert "Faute de déclaration des effectifs 2026 reçue à la clôture de la campagne" in body
    assert f"Montant TTC : {euros(str(estimate.amount_incl_tax))}" in body
    assert f"/factures/{estimate.id}/pdf" in body

    assert consumer.process(DECLARATIONS_QUEUE, declaration_confirmed(member_a, 2)) is True
    with service.portal.db.session_factory() as session:
        note = session.scalars(select(Invoice).where(Invoice.kind == "avoir")).one()
        annual = session.scalars(select(Invoice).where(Invoice.kind == "cotisation")).one()
    credit_mail = delivered(service, portal_env, f"Avoir {note.number}")
    assert credit_mail["Subject"] == f"Avoir {note.number} sur la facture {estimate.number}"
    credit_body = credit_mail.get_content()
    assert f"Montant crédité TTC : {euros(str(-note.amount_incl_tax))}" in credit_body
    assert "Un avoir ne se paie pas : vous n'avez rien à régler." in credit_body
    assert f"/factures/{note.id}/pdf" in credit_body
    annual_mail = delivered(service, portal_env, f"Nouvelle facture {annual.number}")
    assert f"Montant TTC : {euros(str(annual.amount_incl_tax))}" in annual_mail.get_content()
    # Delivered twice, the declaration issues nothing and mails nothing more.
    assert consumer.process(DECLARATIONS_QUEUE, declaration_confirmed(member_a, 2)) is True
    assert service.deliver_mail() == 0


def test_a_payment_recorded_by_staff_is_confirmed_by_e_mail_with_what_it_settled_and_the_credit_kept(
    service, customers, portal_env
):
    member_a, _ = customers
    portal_env.smtp.clear()  # the run's server: earlier tests' numbers come again
    invoice = issue(service, member_a, kind="absence", unit_price="50.00", quantity="1")  # 60,00 € TTC
    service.deliver_mail()
    record_payment(service.portal, invoice.id, PaymentInput("virement", Decimal("20.00"), date(2026, 3, 1)), by="s")
    mail = delivered(service, portal_env, f"Règlement reçu : {euros('20.00')} pour la facture {invoice.number}")
    body = mail.get_content()
    assert f"Nous avons bien reçu votre règlement de {euros('20.00')} (virement) du 01/03/2026" in body
    assert f"Reste à payer sur la facture {invoice.number} : {euros('40.00')}" in body
    assert f"{PUBLIC_URL}/factures/{invoice.id}/pdf" in body


def test_a_credit_is_set_off_against_the_next_invoice_when_it_is_issued_and_the_refund_of_the_rest_is_e_mailed(
    service, customers, portal_env
):
    member_a, _ = customers
    portal_env.smtp.clear()  # the run's server: earlier tests' numbers come again
    first = issue(service, member_a, kind="absence", unit_price="50.00", quantity="1")  # 60,00 €
    record_payment(service.portal, first.id, PaymentInput("virement", Decimal("60.00"), date(2026, 3, 1)), by="s")
    issue_credit_note(service.portal, first.id, label="Absence excusée", amount_excl_tax=None, cancel_all=True)
    with service.portal.db.session_factory() as session:
        assert account_in(session, member_a).credit == Decimal("60.00")  # « Solde créditeur »

    second = issue(service, member_a, kind="absence", unit_price="20.00", quantity="1")  # 24,00 €
    with service.portal.db.session_factory() as session:
        stored = session.get(Invoice, second.id)
        assert (stored.amount_paid, stored.status) == (Decimal("24.00"), "acquittee")
        [offset] = session.scalars(select(LedgerEntry).where(LedgerEntry.settles_invoice_id == second.id)).all()
        assert (offset.kind, offset.label, offset.amount, offset.applied_amount) == (
            "imputation",
            "Compensation avoir",
            Decimal("0.00"),
            Decimal("24.00"),
        )
        held = account_in(session, member_a)
        assert (held.balance, held.due, held.credit) == (Decimal("-36.00"), Decimal("0.00"), Decimal("36.00"))
        assert violations(session) == []
    invoice_body = delivered(service, portal_env, f"Nouvelle facture {second.number}").get_content()
    assert f"Compensation avoir (crédit en votre faveur imputé) : {euros('24.00')}" in invoice_body
    assert "Cette facture est entièrement réglée : vous n'avez rien à payer." in invoice_body

    third = issue(service, member_a, kind="absence", unit_price="50.00", quantity="1")  # 60,00 €: 36,00 € set off
    with service.portal.db.session_factory() as session:
        stored = session.get(Invoice, third.id)
        assert (stored.amount_paid, stored.status) == (Decimal("36.00"), "partiellement_payee")
        assert account_in(session, member_a).credit == Decimal("0.00")
        assert violations(session) == []

    record_payment(service.portal, third.id, PaymentInput("cheque", Decimal("24.00"), date(2026, 3, 2)), by="s")
    issue_credit_note(service.portal, third.id, label="Remise", amount_excl_tax=Decimal("5.00"), cancel_all=False)
    refund_credit(service.portal, member_a, Decimal("6.00"), by="s", reference="Trop-perçu chèque")
    body = delivered(service, portal_env, f"Remboursement de {euros('6.00')}").get_content()
    assert f"Montant remboursé : {euros('6.00')}" in body and "Référence : Trop-perçu chèque" in body
    assert f"Crédit restant en votre faveur : {euros('0.00')}" in body
    with service.portal.db.session_factory() as session:
        assert account_in(session, member_a).balance == Decimal("0.00")
        assert violations(session) == []
