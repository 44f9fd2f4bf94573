"""Payment rules: what staff may record, how a payment settles an invoice, and the overpayment kept as credit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from portal_common.errors import FieldErrors
from portal_common.formats import money_fr

from ..invoices.rules import CENT, MAX_AMOUNT, ZERO, InvoiceKind, InvoiceStatus, settlement_status


class PaymentMethod(StrEnum):
    """How a payment was received (the stored value)."""

    TRANSFER = "virement"
    CHEQUE = "cheque"
    CARD = "carte"
    SEPA_DEBIT = "prelevement"
    # Paid when the invoice was issued (staff issuing a settled invoice, data taken over): no means known.
    AT_ISSUE = "a_l_emission"


METHOD_LABELS = {
    PaymentMethod.TRANSFER: "Virement",
    PaymentMethod.CHEQUE: "Chèque",
    PaymentMethod.CARD: "Carte bancaire",
    PaymentMethod.SEPA_DEBIT: "Prélèvement SEPA",
    PaymentMethod.AT_ISSUE: "Réglé à l'émission",
}
# Card and SEPA payments come from the provider and the bank; staff record the others by hand.
STAFF_METHODS = (PaymentMethod.TRANSFER, PaymentMethod.CHEQUE)


class CardPaymentStatus(StrEnum):
    """A card payment attempt, settled only by the provider's signed notification (the stored value)."""

    PENDING = "en_attente"
    SETTLED = "payee"
    REFUSED = "refusee"


CARD_STATUS_LABELS = {
    CardPaymentStatus.PENDING: "En attente de confirmation",
    CardPaymentStatus.SETTLED: "Paiement reçu",
    CardPaymentStatus.REFUSED: "Paiement refusé",
}


class PaymentRejected(FieldErrors):
    """A payment the rules refuse, with a French message per field."""


@dataclass(frozen=True)
class PaymentInput:
    method: str
    amount: Decimal
    received_on: date
    reference: str | None = None


@dataclass(frozen=True)
class Settlement:
    """The effect of a payment: the part applied to the invoice, the credit kept, the new status."""

    applied: Decimal
    credit: Decimal
    amount_paid: Decimal
    status: str


def check_payment(payment: PaymentInput, *, kind: str, today: date, due: Decimal | None = None) -> PaymentInput:
    """A payment staff record: never on a credit note, never above what is still due (`due`)."""
    errors: dict[str, str] = {}
    if kind == InvoiceKind.CREDIT_NOTE:
        errors["invoice"] = "Un avoir ne se règle pas : il s'impute sur une facture."
    if payment.method not in STAFF_METHODS:
        errors["method"] = "Le mode de règlement est un virement ou un chèque."
    try:
        exact = payment.amount == payment.amount.quantize(CENT)
    except InvalidOperation:
        exact = False
    if not (exact and ZERO < payment.amount <= MAX_AMOUNT):
        errors["amount"] = "Le montant est positif, en euros, avec au plus deux décimales."
    elif due is not None and "invoice" not in errors and payment.amount > due:
        errors["amount"] = (
            f"Le montant dépasse ce qui reste à payer sur cette facture ({money_fr(max(due, ZERO))} au plus)."
        )
    if payment.received_on > today:
        errors["received_on"] = "La date de réception ne peut pas être dans le futur."
    reference = (payment.reference or "").strip()
    if len(reference) > 100:
        errors["reference"] = "La référence comporte au plus 100 caractères."
    if errors:
        raise PaymentRejected(errors)
    return PaymentInput(payment.method, payment.amount, payment.received_on, reference or None)


def settle(amount_incl_tax: Decimal, amount_paid: Decimal, status: str, amount: Decimal) -> Settlement:
    """Apply a payment up to what is still due; any excess stays as the company's credit, never lost.

    An invoice in litigation stays in litigation until staff close the case, even once paid.
    """
    applied = min(amount, max(amount_incl_tax - amount_paid, ZERO))
    paid = amount_paid + applied
    new_status = status if status == InvoiceStatus.LITIGATION else settlement_status(amount_incl_tax, paid)
    return Settlement(applied=applied, credit=amount - applied, amount_paid=paid, status=new_status)
