"""Issuing credit notes: staff correcting an invoice, and the cancellation of an estimate by the declaration."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_common.service import Portal

from ..campaign.rules import cancellation_key
from ..invoices.rules import InvoiceKind, InvoiceNotFound, IssueCommand, LineInput, PricedLine
from ..invoices.use_cases.issue import prepare_invoice
from ..invoices.use_cases.numbering import Numbering
from ..models import Invoice
from ..payments.rules import settle
from ..sepa.rules import AFTER_CREDIT_NOTE, NoticeCreditor
from ..sepa.use_cases.adjustments import fit_pending_debits
from .rules import CorrectedInvoice, CreditNoteRejected, credit_note_lines, set_off


def credited_before(session: Session, invoice_id: str) -> Decimal:
    """What earlier credit notes took back from an invoice, excluding tax (a positive amount)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Invoice.amount_excl_tax), 0)).where(
            Invoice.corrects_invoice_id == invoice_id, Invoice.kind == InvoiceKind.CREDIT_NOTE
        )
    )
    return -Decimal(total or 0).quantize(Decimal("0.01"))


def corrected_view(session: Session, invoice: Invoice) -> CorrectedInvoice:
    return CorrectedInvoice(
        number=invoice.number,
        kind=invoice.kind,
        amount_excl_tax=invoice.amount_excl_tax,
        lines=tuple(PricedLine(line.label, line.quantity, line.unit_price, line.amount) for line in invoice.lines),
        already_credited=credited_before(session, invoice.id),
    )


def prepare_credit_note(
    session: Session,
    corrected: Invoice,
    lines: tuple[LineInput, ...],
    numbering: Numbering,
    *,
    creditor: NoticeCreditor | None,
    source_key: str | None = None,
) -> Invoice:
    """A credit note against `corrected` (locked by the caller), pending in `numbering`, set off against what
    is still due on it; what cannot be set off stays owed back to the company."""
    applied = set_off(lines, corrected.vat_rate, corrected.amount_due)
    note = prepare_invoice(
        session,
        IssueCommand(
            member_id=corrected.member_id,
            kind=InvoiceKind.CREDIT_NOTE,
            lines=lines,
            vat_rate=corrected.vat_rate,
            period=corrected.period,
            amount_paid=-applied,
            source_key=source_key,
            corrects_invoice_id=corrected.id,
        ),
        numbering,
    )
    if applied:
        effect = settle(corrected.amount_incl_tax, corrected.amount_paid, corrected.status, applied)
        corrected.amount_paid, corrected.status = effect.amount_paid, effect.status
    if credited_before(session, corrected.id) >= corrected.amount_excl_tax:
        # Cancelled in full: an annual fee stops being live, so its replacement may be issued next.
        corrected.cancelled_by_id = note.id
    session.flush()
    if applied:
        # The company now owes less: debits it was told about must not take more.
        fit_pending_debits(session, corrected, reason=AFTER_CREDIT_NOTE, creditor=creditor)
    return note  # type: ignore[return-value]  # an ORM invoice (never a batch's unsaved one)


def cancel_estimate(
    session: Session, estimate: Invoice, numbering: Numbering, *, creditor: NoticeCreditor | None
) -> Invoice | None:
    """The credit note cancelling an estimated invoice once the real declaration came (once only)."""
    return cancel_in_full(
        session, estimate, numbering, creditor=creditor, label=f"Annulation de la facture d'office {estimate.number}"
    )


def cancel_replaced_annual(
    session: Session, replaced: Invoice, numbering: Numbering, *, creditor: NoticeCreditor | None
) -> Invoice | None:
    """The credit note cancelling an annual fee the member's declaration replaces (one issued by staff or
    brought from a former system, never one issued from a declaration): the declared headcount is what is owed."""
    return cancel_in_full(
        session,
        replaced,
        numbering,
        creditor=creditor,
        label=f"Annulation de la facture {replaced.number}, remplacée par la cotisation de votre déclaration",
    )


def cancel_in_full(
    session: Session,
    invoice: Invoice,
    numbering: Numbering,
    *,
    creditor: NoticeCreditor | None,
    label: str,
    source_key: str | None = None,
) -> Invoice | None:
    """The credit note cancelling what is left of `invoice` (locked by the caller), once per `source_key`
    (an estimate's cancellation key by default); None when already done or already cancelled by hand."""
    key = source_key or cancellation_key(invoice.id)
    if session.scalar(select(Invoice.id).where(Invoice.source_key == key)) is not None:
        return None
    try:
        lines = credit_note_lines(corrected_view(session, invoice), cancel_all=True, amount_excl_tax=None, label=label)
    except CreditNoteRejected:  # staff already cancelled it by hand
        return None
    return prepare_credit_note(session, invoice, lines, numbering, creditor=creditor, source_key=key)


def issue_credit_note(
    portal: Portal, invoice_id: str, *, label: str, amount_excl_tax: Decimal | None, cancel_all: bool
) -> Invoice:
    """Staff correct an invoice with a credit note (part of it, or all that is left); publishes
    billing.credit_note.issued.v1. Raises InvoiceNotFound or CreditNoteRejected."""
    with portal.uow() as tx:
        corrected = tx.session.scalars(select(Invoice).where(Invoice.id == invoice_id).with_for_update()).first()
        if corrected is None:
            raise InvoiceNotFound(invoice_id)
        lines = credit_note_lines(
            corrected_view(tx.session, corrected), label=label, amount_excl_tax=amount_excl_tax, cancel_all=cancel_all
        )
        numbering = Numbering()
        note = prepare_credit_note(
            tx.session, corrected, lines, numbering, creditor=NoticeCreditor.from_settings(portal.settings)
        )
        numbering.assign(tx.session)
        tx.commit()
        return note
