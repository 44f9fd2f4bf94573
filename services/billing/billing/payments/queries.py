"""Reading payments, the company's statement and card payment attempts, from the request-bound session."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal_common.service import portal

from ..invoices.queries import schedule_of
from ..invoices.rules import KIND_LABELS, InvoiceKind, InvoiceStatus
from ..models import CardPayment, Invoice, Payment
from .rules import METHOD_LABELS
from .statement import Entry


def statement_entries(member_id: str) -> list[Entry]:
    """Instalments, credit notes and payments of the company, invoices in litigation left out."""
    session = portal().db.session
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(Invoice.member_id == member_id, Invoice.status != InvoiceStatus.LITIGATION)
            .options(selectinload(Invoice.instalments))
        )
    )
    entries: list[Entry] = []
    for invoice in invoices:
        label = KIND_LABELS[invoice.kind]
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            entries.append(
                Entry(
                    invoice.number,
                    invoice.issued_on,
                    invoice.due_on,
                    label,
                    invoice.period,
                    credit=-invoice.amount_incl_tax,
                )
            )
            continue
        schedule = schedule_of(invoice)
        for rank, (due_on, amount) in enumerate(schedule, start=1):
            shown = label if len(schedule) == 1 else f"{label} (échéance {rank}/{len(schedule)})"
            entries.append(Entry(invoice.number, invoice.issued_on, due_on, shown, invoice.period, debit=amount))
    numbers = {invoice.id: invoice for invoice in invoices}
    for payment in session.scalars(select(Payment).where(Payment.member_id == member_id)):
        invoice = numbers.get(payment.invoice_id)
        if invoice is not None:
            entries.append(
                Entry(
                    invoice.number,
                    payment.received_on,
                    payment.received_on,
                    f"Règlement ({METHOD_LABELS[payment.method].lower()})",
                    invoice.period,
                    credit=payment.amount,
                )
            )
    return entries


def payments_of(invoice_id: str) -> list[Payment]:
    return list(
        portal().db.session.scalars(
            select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.received_on, Payment.created_at)
        )
    )


def credit_of(member_id: str) -> Decimal:
    """Overpayments kept for the company (what payments brought beyond the invoices they settled)."""
    stmt = select(func.coalesce(func.sum(Payment.amount - Payment.applied_amount), 0)).where(
        Payment.member_id == member_id
    )
    return Decimal(portal().db.session.scalar(stmt) or 0).quantize(Decimal("0.01"))


def payment_as_dict(payment: Payment) -> dict:
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "method": payment.method,
        "amount": payment.amount,
        "applied_amount": payment.applied_amount,
        "credit_amount": payment.amount - payment.applied_amount,
        "received_on": payment.received_on,
        "reference": payment.reference,
    }


def card_attempt(invoice_id: str, reference: str) -> CardPayment | None:
    return (
        portal()
        .db.session.scalars(
            select(CardPayment).where(CardPayment.invoice_id == invoice_id, CardPayment.reference == reference)
        )
        .first()
    )
