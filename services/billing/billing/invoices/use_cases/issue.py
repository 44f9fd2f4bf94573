"""Issuing an invoice: validated, priced and scheduled, then numbered with the others of its transaction."""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.service import Portal

from ...ledger.rules import LedgerKind
from ...ledger.use_cases import book, document_row, entry_row
from ...models import BillingCustomer, Instalment, Invoice, InvoiceLine, LedgerEntry, Payment
from ...payments.rules import PaymentMethod
from ..annual import schedule_for
from ..rules import ANNUAL_KINDS, KIND_LABELS, ZERO, InvoiceKind, InvoiceRejected, IssueCommand, check_issue
from .numbering import Numbering, UnsavedInvoice, placeholder_number


def already_issued(session: Session, source_key: str) -> bool:
    """Whether the fact behind `source_key` was already billed (the key is unique: never billed twice)."""
    return session.scalar(select(Invoice.id).where(Invoice.source_key == source_key)) is not None


LIVE_ANNUAL_INDEX = "uq_invoice_live_annual"


def live_annual(session: Session, member_id: str, period: str) -> Invoice | None:
    """The member's annual fee (real or estimated) of `period` not cancelled by a credit note, if any."""
    return session.scalars(
        select(Invoice).where(
            Invoice.member_id == member_id,
            Invoice.period == period,
            Invoice.kind.in_(ANNUAL_KINDS),
            Invoice.cancelled_by_id.is_(None),
        )
    ).first()


def second_annual_refusal(existing: Invoice | None, period: str) -> InvoiceRejected:
    number = f" ({existing.number})" if existing is not None else ""
    return InvoiceRejected(
        {"period": f"L'adhérent a déjà une cotisation annuelle {period}{number} : annulez-la d'abord par un avoir."}
    )


def prepare_invoice(
    session: Session,
    command: IssueCommand,
    numbering: Numbering,
    *,
    invoice_id: str | None = None,
    unsaved: bool = False,
    customer_known: bool | None = None,
) -> Invoice | UnsavedInvoice:
    """Validate and store an invoice with its schedule under a placeholder number, pending in `numbering`
    (whose `assign` numbers it and records its event just before the transaction commits).

    `unsaved` (a consumer's batch): the invoice is kept as plain values and inserted by `numbering` with the
    other invoices of the batch, one statement per table, instead of now. `customer_known`: the caller has read
    the member's customer already (else it is looked up).
    """
    known = customer_known or session.get(BillingCustomer, command.member_id) is not None
    checked = check_issue(command, today=today(), customer_known=known)
    if not unsaved and checked.kind in ANNUAL_KINDS:
        # The database refuses it anyway (LIVE_ANNUAL_INDEX); this says it in French.
        existing = live_annual(session, checked.member_id, checked.period)
        if existing is not None:
            raise second_annual_refusal(existing, checked.period)
    invoice_id = invoice_id or str(uuid.uuid4())
    schedule = schedule_for(checked.kind, checked.totals.incl_tax, checked.due_on)
    values = dict(
        id=invoice_id,
        member_id=checked.member_id,
        number=placeholder_number(invoice_id),
        kind=checked.kind,
        issued_on=checked.issued_on,
        due_on=checked.due_on,
        period=checked.period,
        amount_excl_tax=checked.totals.excl_tax,
        vat_rate=checked.vat_rate,
        vat_amount=checked.totals.vat,
        amount_incl_tax=checked.totals.incl_tax,
        amount_paid=checked.amount_paid,
        status=checked.status,
        created_at=utcnow(),
        declaration_id=command.declaration_id,
        source_key=command.source_key,
        corrects_invoice_id=command.corrects_invoice_id,
        cancelled_by_id=None,
    )
    invoice: Invoice | UnsavedInvoice
    if unsaved:
        invoice = UnsavedInvoice(
            **values,
            version=1,
            stored=False,
            lines=[
                {
                    "id": str(uuid.uuid4()),
                    "invoice_id": invoice_id,
                    "position": rank,
                    "label": line.label,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "amount": line.amount,
                }
                for rank, line in enumerate(checked.lines, start=1)
            ],
            instalments=[
                {
                    "id": str(uuid.uuid4()),
                    "invoice_id": invoice_id,
                    "position": rank,
                    "due_on": due_on,
                    "amount": amount,
                }
                for rank, (due_on, amount) in enumerate(schedule, start=1)
            ],
        )
    else:
        invoice = Invoice(
            **values,
            lines=[
                InvoiceLine(
                    id=str(uuid.uuid4()),
                    position=rank,
                    label=line.label,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    amount=line.amount,
                )
                for rank, line in enumerate(checked.lines, start=1)
            ],
            instalments=[
                Instalment(id=str(uuid.uuid4()), position=rank, due_on=due_on, amount=amount)
                for rank, (due_on, amount) in enumerate(schedule, start=1)
            ],
        )
        session.add(invoice)
        session.flush()
    _book_issue(session, invoice, numbering, unsaved=unsaved)
    numbering.add(invoice)
    return invoice


def _book_issue(session: Session, invoice: Invoice | UnsavedInvoice, numbering: Numbering, *, unsaved: bool) -> None:
    """The document's ledger entry; what it is issued already settled by gets its entry too (a payment
    « réglé à l'émission », or the refund of a standalone credit note given back at once)."""
    rows = [document_row(invoice)]
    label = f"{KIND_LABELS[invoice.kind]} {invoice.period}"
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        if invoice.corrects_invoice_id is None and invoice.amount_paid < ZERO:
            rows.append(
                entry_row(
                    member_id=invoice.member_id,
                    kind=LedgerKind.REFUND,
                    booked_on=invoice.issued_on,
                    amount=-invoice.amount_paid,
                    document_id=invoice.id,
                    label=f"Remboursement : {label}",
                    by="facturation",
                )
            )
    elif invoice.amount_paid > ZERO:
        payment = Payment(
            id=str(uuid.uuid4()),
            invoice_id=invoice.id,
            member_id=invoice.member_id,
            method=PaymentMethod.AT_ISSUE,
            amount=invoice.amount_paid,
            applied_amount=invoice.amount_paid,
            received_on=invoice.issued_on,
            reference=None,
            recorded_by="facturation",
            created_at=utcnow(),
        )
        session.add(payment)
        session.flush()
        rows.append(
            entry_row(
                member_id=invoice.member_id,
                kind=LedgerKind.PAYMENT,
                booked_on=invoice.issued_on,
                amount=-invoice.amount_paid,
                applied=invoice.amount_paid,
                settles_invoice_id=invoice.id,
                payment_id=payment.id,
                label=f"Règlement : {label}",
                by="facturation",
            )
        )
    for row in rows:
        if unsaved:
            numbering.add_referring_row(LedgerEntry, row)
        else:
            book(session, row)


def issue_invoice(portal: Portal, command: IssueCommand, *, invoice_id: str | None = None) -> Invoice:
    """Issue an invoice or a credit note to a known member; publishes billing.invoice.issued.v1.
    Raises InvoiceRejected."""
    try:
        with portal.uow() as tx:
            numbering = Numbering()
            invoice = prepare_invoice(tx.session, command, numbering, invoice_id=invoice_id)
            numbering.assign(tx.session)
            tx.commit()
            return cast(Invoice, invoice)
    except IntegrityError as exc:  # another annual fee of that period committed meanwhile
        if LIVE_ANNUAL_INDEX not in str(exc.orig):
            raise
        raise second_annual_refusal(None, command.period or str(today().year)) from exc
