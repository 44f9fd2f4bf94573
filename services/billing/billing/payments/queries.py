"""Reading payments, the company's statement and card payment attempts, from the request-bound session."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal_common.service import portal

from ..invoices.queries import schedule_of
from ..invoices.rules import KIND_LABELS, ZERO
from ..ledger.rules import LEDGER_LABELS, LedgerKind
from ..models import CardPayment, Invoice, LedgerEntry, Payment
from .rules import METHOD_LABELS
from .statement import Entry


def statement_entries(member_id: str) -> list[Entry]:
    """The company's ledger as statement lines (invoices spread over their instalments): the last balance is
    the ledger's (ledger.queries.account_of), whatever the page or the PDF."""
    session = portal().db.session
    entries = list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.member_id == member_id, LedgerEntry.kind != LedgerKind.OFFSET)
            .order_by(LedgerEntry.booked_on, LedgerEntry.created_at)
        )
    )
    ids = {entry.document_id for entry in entries} | {entry.settles_invoice_id for entry in entries}
    ids.discard(None)
    invoices = {
        invoice.id: invoice
        for invoice in session.scalars(
            select(Invoice).where(Invoice.id.in_(ids)).options(selectinload(Invoice.instalments))
        )
    }
    methods = dict(
        session.execute(
            select(Payment.id, Payment.method).where(
                Payment.id.in_([entry.payment_id for entry in entries if entry.payment_id])
            )
        ).all()
    )
    lines: list[Entry] = []
    for entry in entries:
        on = entry.booked_on
        document = invoices.get(entry.document_id or "") or invoices.get(entry.settles_invoice_id or "")
        number, period = (document.number, document.period) if document is not None else ("", "")
        if entry.kind == LedgerKind.INVOICE and document is not None:
            label = KIND_LABELS[document.kind]
            schedule = schedule_of(document)
            for rank, (due_on, amount) in enumerate(schedule, start=1):
                shown = label if len(schedule) == 1 else f"{label} (échéance {rank}/{len(schedule)})"
                lines.append(Entry(number, on, due_on, shown, period, debit=amount))
            continue
        if entry.kind in (LedgerKind.PAYMENT, LedgerKind.SEPA_COLLECTED):
            method = methods.get(entry.payment_id or "")
            label = f"Règlement ({METHOD_LABELS[method].lower()})" if method else LEDGER_LABELS[entry.kind]
        else:
            label = LEDGER_LABELS[LedgerKind(entry.kind)]
        debit, credit = (entry.amount, ZERO) if entry.amount > 0 else (ZERO, -entry.amount)
        # A credit note falls due with the invoice it mirrors (its own due date); money moves on its day.
        due_on = document.due_on if entry.kind == LedgerKind.CREDIT_NOTE and document is not None else on
        lines.append(Entry(number, on, due_on, label, period, debit=debit, credit=credit))
    return lines


def payments_of(invoice_id: str) -> list[Payment]:
    return list(
        portal().db.session.scalars(
            select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.received_on, Payment.created_at)
        )
    )


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
