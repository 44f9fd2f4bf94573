"""Use cases of the billing service: the only place that commits."""
from __future__ import annotations

import logging
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal_common.clock import utcnow
from portal_common.formats import PARIS
from portal_common.messaging.outbox import Outbox
from portal_common.service import Portal

from . import events
from .annual import Declaration, annual_lines, schedule_for
from .domain import CustomerSnapshot, IssueCommand, check_issue, invoice_number
from .models import Base, BillingCustomer, Instalment, Invoice, InvoiceLine, InvoiceSequence, Payment, TariffRow
from .payments import PaymentInput, check_payment, settle
from .tariffs import Tariff, check_tariff

log = logging.getLogger(__name__)

# Events are recorded in the caller's session: a request's unit of work or a consumer's transaction.
EVENTS = Outbox(events.PRODUCER, Base.metadata)


def today() -> date:
    """Invoices are dated in the service's own time zone, not UTC."""
    return utcnow().astimezone(PARIS).date()


def issued_event(invoice: Invoice) -> dict:
    return {
        "invoice_id": invoice.id, "member_id": invoice.member_id, "number": invoice.number, "kind": invoice.kind,
        "issued_on": invoice.issued_on.isoformat(), "due_on": invoice.due_on.isoformat(),
        # A string keeps the exact cents; JSON numbers are floats for most consumers.
        "amount_incl_tax": f"{invoice.amount_incl_tax:.2f}", "status": invoice.status, "version": invoice.version,
        "declaration_id": invoice.declaration_id, "download_path": f"/factures/{invoice.id}/pdf",
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


def _issue(session: Session, command: IssueCommand, *, invoice_id: str | None = None) -> Invoice:
    """Validate, number and store an invoice with its schedule, and record its event, in `session`."""
    known = session.get(BillingCustomer, command.member_id) is not None
    checked = check_issue(command, today=today(), customer_known=known)
    invoice = Invoice(
        id=invoice_id or str(uuid.uuid4()), member_id=checked.member_id,
        number=next_invoice_number(session, checked.issued_on.year), kind=checked.kind,
        issued_on=checked.issued_on, due_on=checked.due_on, period=checked.period,
        amount_excl_tax=checked.totals.excl_tax, vat_rate=checked.vat_rate, vat_amount=checked.totals.vat,
        amount_incl_tax=checked.totals.incl_tax, amount_paid=checked.amount_paid, status=checked.status,
        created_at=utcnow(), version=1, declaration_id=command.declaration_id, source_key=command.source_key,
        corrects_invoice_id=command.corrects_invoice_id,
        lines=[InvoiceLine(id=str(uuid.uuid4()), position=rank, label=line.label, quantity=line.quantity,
                           unit_price=line.unit_price, amount=line.amount)
               for rank, line in enumerate(checked.lines, start=1)],
        instalments=[Instalment(id=str(uuid.uuid4()), position=rank, due_on=due_on, amount=amount)
                     for rank, (due_on, amount) in enumerate(
                         schedule_for(checked.kind, checked.totals.incl_tax, checked.due_on), start=1)],
    )
    session.add(invoice)
    session.flush()
    EVENTS.record(session, events.INVOICE_ISSUED, subject=invoice.id, member_id=invoice.member_id,
                  data=issued_event(invoice))
    return invoice


def issue_invoice(portal: Portal, command: IssueCommand, *, invoice_id: str | None = None) -> Invoice:
    """Issue an invoice or a credit note to a known member; publishes billing.invoice.issued.v1."""
    with portal.uow() as tx:
        invoice = _issue(tx.session, command, invoice_id=invoice_id)
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


# --- tariffs -------------------------------------------------------------------------------------------
def tariff_of(row: TariffRow) -> Tariff:
    return Tariff(**{name: getattr(row, name) for name in Tariff.__dataclass_fields__})


def tariff_for(session: Session, year: int) -> Tariff | None:
    row = session.get(TariffRow, year)
    return tariff_of(row) if row is not None else None


def save_tariff(portal: Portal, tariff: Tariff, *, by: str) -> Tariff:
    """Create or replace the tariff of a year once it passes the rules (the legal band first of all)."""
    checked = check_tariff(tariff)
    with portal.uow() as tx:
        row = tx.session.get(TariffRow, checked.year) or TariffRow(year=checked.year)
        for name, value in checked.values().items():
            setattr(row, name, value)
        row.updated_at, row.updated_by = utcnow(), by[:100]
        tx.session.add(row)
        tx.commit()
    return checked


# --- annual invoices -----------------------------------------------------------------------------------
class CannotInvoiceYet(Exception):
    """A fact billing must act on but cannot yet (customer or tariff unknown): the consumer retries it."""


def declaration_key(declaration_id: str) -> str:
    return f"declaration:{declaration_id}"


def _billed_before(session: Session, member_id: str) -> bool:
    """Whether the company already received an annual fee (else it is a new member owing the entry fee)."""
    return session.scalar(select(Invoice.id).where(
        Invoice.member_id == member_id, Invoice.kind.in_(("cotisation", "facture_office"))).limit(1)) is not None


def invoice_declaration(session: Session, declaration: Declaration) -> Invoice | None:
    """Issue the annual invoice of a confirmed declaration, once; runs in the consumer's transaction.

    None when this declaration was already invoiced (the unique source key also stops two workers
    racing on two deliveries of it) or when it owes nothing at all.
    """
    key = declaration_key(declaration.declaration_id)
    if session.scalar(select(Invoice.id).where(Invoice.source_key == key)) is not None:
        return None
    customer = session.get(BillingCustomer, declaration.member_id)
    tariff = tariff_for(session, declaration.year)
    if customer is None or tariff is None:
        raise CannotInvoiceYet("customer unknown" if customer is None else f"no tariff for {declaration.year}")
    lines = annual_lines(tariff, declaration, new_member=not _billed_before(session, declaration.member_id),
                         sepa_debit=customer.mandate_status == "active")
    if not lines:
        log.info("declaration owes nothing, no invoice", extra={"declaration_id": declaration.declaration_id})
        return None
    return _issue(session, IssueCommand(
        member_id=declaration.member_id, kind="cotisation", lines=lines, vat_rate=tariff.vat_rate,
        period=str(declaration.year), declaration_id=declaration.declaration_id, source_key=key))


# --- payments -----------------------------------------------------------------------------------------
class InvoiceNotFound(Exception):
    """No such invoice (or not one the caller may touch)."""


def record_payment(portal: Portal, invoice_id: str, payment: PaymentInput, *, by: str) -> Payment:
    """Staff record a transfer or a cheque; an overpayment is kept as the company's credit."""
    with portal.uow() as tx:
        # The row lock makes two payments recorded at once add up instead of overwriting each other.
        invoice = tx.session.scalars(select(Invoice).where(Invoice.id == invoice_id).with_for_update()).first()
        if invoice is None:
            raise InvoiceNotFound(invoice_id)
        checked = check_payment(payment, kind=invoice.kind, today=today())
        effect = settle(invoice.amount_incl_tax, invoice.amount_paid, invoice.status, checked.amount)
        recorded = Payment(id=str(uuid.uuid4()), invoice_id=invoice.id, member_id=invoice.member_id,
                           method=checked.method, amount=checked.amount, applied_amount=effect.applied,
                           received_on=checked.received_on, reference=checked.reference, recorded_by=by[:100],
                           created_at=utcnow())
        invoice.amount_paid, invoice.status = effect.amount_paid, effect.status
        invoice.version += 1
        tx.session.add(recorded)
        tx.commit()
        return recorded
