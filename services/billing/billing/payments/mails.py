"""The e-mail confirming a payment received (card, SEPA debit, transfer or cheque recorded by staff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal_common.formats import date_fr, money_fr
from portal_common.mail_message import Mail

from ..invoices.mails import FOOTER, INVOICES_PATH, document_link
from ..invoices.rules import ZERO
from .rules import METHOD_LABELS, PaymentMethod


@dataclass(frozen=True)
class ReceivedPayment:
    payment_id: str
    method: str
    amount: Decimal
    applied: Decimal
    received_on: date
    invoice_id: str
    invoice_number: str
    amount_due: Decimal  # what the invoice still waits for, after this payment


def payment_mail(payment: ReceivedPayment, *, to: str, public_url: str) -> Mail:
    """One mail per payment recorded (key: the payment's id)."""
    amount, number = money_fr(payment.amount), payment.invoice_number
    if payment.method == PaymentMethod.SEPA_DEBIT:
        subject = f"Prélèvement SEPA de {amount} : facture {number}"
        intro = (
            f"Le prélèvement SEPA de {amount} du {date_fr(payment.received_on)} est transmis à votre banque "
            f"et enregistré en règlement de la facture {number}."
        )
    else:
        subject = f"Règlement reçu : {amount} pour la facture {number}"
        method = METHOD_LABELS[PaymentMethod(payment.method)].lower()
        intro = (
            f"Nous avons bien reçu votre règlement de {amount} ({method}) du {date_fr(payment.received_on)} "
            f"pour la facture {number}."
        )
    lines = [intro, "", f"Montant reçu : {amount}", f"Imputé sur la facture {number} : {money_fr(payment.applied)}"]
    kept = payment.amount - payment.applied
    if kept > ZERO:
        lines.append(
            f"Crédit en votre faveur : {money_fr(kept)} (au-delà du reste à payer ; imputé sur votre prochaine "
            "facture, ou remboursé par le service)."
        )
    if payment.amount_due > ZERO:
        lines.append(f"Reste à payer sur la facture {number} : {money_fr(payment.amount_due)}")
    else:
        lines.append(f"La facture {number} est entièrement réglée.")
    body = (
        "Bonjour,\n\n" + "\n".join(lines) + "\n\n"
        f"Consulter la facture : {document_link(public_url, payment.invoice_id)}\n"
        f"Votre échéancier : {public_url.rstrip('/')}{INVOICES_PATH}/echeancier\n\n{FOOTER}\n"
    )
    return Mail(to=to, subject=subject, body=body, key=f"billing-payment-received:{payment.payment_id}")
