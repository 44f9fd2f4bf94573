"""Use cases of the billing service: the only place that commits."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal_common.clock import utcnow
from portal_common.formats import PARIS
from portal_common.service import Portal

from . import events
from .domain import CustomerSnapshot, IssueCommand, check_issue, invoice_number
from .models import BillingCustomer, Invoice, InvoiceLine, InvoiceSequence


def today() -> date:
    """Invoices are dated in the service's own time zone, not UTC."""
    return utcnow().astimezone(PARIS).date()


def issued_event(invoice: Invoice) -> dict:
    return {
        "invoice_id": invoice.id, "member_id": invoice.member_id, "number": invoice.number, "kind": invoice.kind,
        "issued_on": invoice.issued_on.isoformat(), "due_on": invoice.due_on.isoformat(),
        # A string keeps the exact cents; JSON numbers are floats for most consumers.
        "amount_incl_tax": f"{invoice.amount_incl_tax:.2f}", "status": invoice.status, "version": invoice.version,
    }


def next_invoice_number(session: Session, year: int) -> str:
    """Take the next number of `year` inside the caller's transaction.

    The sequence row stays locked until that transaction ends, so concurrent issuers queue up
    and a rolled-back invoice gives its number back: numbers have no gap and follow commit order.
    On SQLite the first write takes the database lock, which serialises the same way.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # The first invoice of a year creates the row; a concurrent creator just finds it.
    session.execute(dialect.insert(InvoiceSequence).values(year=year, last_number=0)
                    .on_conflict_do_nothing(index_elements=["year"]))
    sequence = session.scalars(select(InvoiceSequence).where(InvoiceSequence.year == year)
                               .with_for_update().execution_options(populate_existing=True)).one()
    sequence.last_number += 1
    return invoice_number(year, sequence.last_number)


def issue_invoice(portal: Portal, command: IssueCommand, *, invoice_id: str | None = None) -> Invoice:
    """Issue an invoice or a credit note to a known member; publishes billing.invoice.issued.v1."""
    with portal.uow() as tx:
        known = tx.session.get(BillingCustomer, command.member_id) is not None
        checked = check_issue(command, today=today(), customer_known=known)
        invoice = Invoice(
            id=invoice_id or str(uuid.uuid4()), member_id=checked.member_id,
            number=next_invoice_number(tx.session, checked.issued_on.year), kind=checked.kind,
            issued_on=checked.issued_on, due_on=checked.due_on, period=checked.period,
            amount_excl_tax=checked.totals.excl_tax, vat_rate=checked.vat_rate, vat_amount=checked.totals.vat,
            amount_incl_tax=checked.totals.incl_tax, amount_paid=checked.amount_paid, status=checked.status,
            created_at=utcnow(), version=1,
            lines=[InvoiceLine(id=str(uuid.uuid4()), position=rank, label=line.label, quantity=line.quantity,
                               unit_price=line.unit_price, amount=line.amount)
                   for rank, line in enumerate(checked.lines, start=1)],
        )
        tx.session.add(invoice)
        tx.session.flush()
        tx.record(events.INVOICE_ISSUED, subject=invoice.id, member_id=invoice.member_id, data=issued_event(invoice))
        tx.commit()
        return invoice


def apply_customer_snapshot(session: Session, snapshot: CustomerSnapshot) -> bool:
    """Keep the read model at the newest version seen; False when the snapshot is stale or repeated.

    Runs inside the consumer's transaction (which commits with the inbox row), so it never commits.
    """
    customer = session.get(BillingCustomer, snapshot.member_id)
    if customer is not None and snapshot.version <= customer.version:
        return False
    if customer is None:
        customer = BillingCustomer(member_id=snapshot.member_id)
        session.add(customer)
    for name, value in snapshot.fields().items():
        setattr(customer, name, value)
    customer.updated_at = utcnow()
    session.flush()
    return True


def seed_customer(portal: Portal, snapshot: CustomerSnapshot) -> bool:
    """Demo and recovery: add a customer only if billing has never heard of it."""
    with portal.uow() as tx:
        if tx.session.get(BillingCustomer, snapshot.member_id) is not None:
            return False
        applied = apply_customer_snapshot(tx.session, snapshot)
        tx.commit()
        return applied
