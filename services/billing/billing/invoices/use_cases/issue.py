"""Issuing an invoice: validated, priced and scheduled, then numbered with the others of its transaction."""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.service import Portal

from ...models import BillingCustomer, Instalment, Invoice, InvoiceLine
from ..annual import schedule_for
from ..rules import IssueCommand, check_issue
from .numbering import Numbering, UnsavedInvoice, placeholder_number


def already_issued(session: Session, source_key: str) -> bool:
    """Whether the fact behind `source_key` was already billed (the key is unique: never billed twice)."""
    return session.scalar(select(Invoice.id).where(Invoice.source_key == source_key)) is not None


def prepare_invoice(
    session: Session,
    command: IssueCommand,
    numbering: Numbering,
    *,
    invoice_id: str | None = None,
    unsaved: bool = False,
) -> Invoice | UnsavedInvoice:
    """Validate and store an invoice with its schedule under a placeholder number, pending in `numbering`
    (whose `assign` numbers it and records its event just before the transaction commits).

    `unsaved` (a consumer's batch): the invoice is kept as plain values and inserted by `numbering` with the
    other invoices of the batch, one statement per table, instead of now.
    """
    known = session.get(BillingCustomer, command.member_id) is not None
    checked = check_issue(command, today=today(), customer_known=known)
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
    numbering.add(invoice)
    return invoice


def issue_invoice(portal: Portal, command: IssueCommand, *, invoice_id: str | None = None) -> Invoice:
    """Issue an invoice or a credit note to a known member; publishes billing.invoice.issued.v1.
    Raises InvoiceRejected."""
    with portal.uow() as tx:
        numbering = Numbering()
        invoice = prepare_invoice(tx.session, command, numbering, invoice_id=invoice_id)
        numbering.assign(tx.session)
        tx.commit()
        return cast(Invoice, invoice)
