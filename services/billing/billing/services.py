"""Use cases of the billing service: the only place that commits."""
from __future__ import annotations

import logging
import uuid
from datetime import date
from types import SimpleNamespace
from typing import Any, Collection, Iterable
from decimal import Decimal

from sqlalchemy import bindparam, event as orm_event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal_common import context
from portal_common.clock import utcnow
from portal_common.formats import PARIS
from portal_common.messaging.envelope import Envelope
from portal_common.messaging.outbox import Outbox
from portal_common.service import Portal

from . import events
from .annual import Declaration, annual_lines, schedule_for
from .credit_notes import CORRECTION, ESTIMATE_CANCELLED, OTHER, CorrectedInvoice, CreditNoteRejected, \
    credit_note_lines, set_off
from .domain import CREDIT_NOTE, CustomerSnapshot, IssueCommand, LineInput, PricedLine, check_issue, invoice_number
from .estimates import cancellation_key, estimate_key
from .models import Base, BillingCustomer, Instalment, Invoice, InvoiceLine, InvoiceSequence, Payment, \
    PendingHire, ReceivedDeclaration, TariffRow
from .payments import PaymentInput, check_payment, settle
from .sepa_adjustments import AFTER_CREDIT_NOTE, AFTER_PAYMENT, fit_pending_debits
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


def credit_note_event(note: Invoice, corrected: Invoice | None) -> dict:
    if note.source_key and note.source_key.startswith("cancel:"):
        reason = ESTIMATE_CANCELLED
    else:
        reason = CORRECTION if corrected is not None else OTHER
    return {
        "credit_note_id": note.id, "member_id": note.member_id, "number": note.number,
        "issued_on": note.issued_on.isoformat(), "amount_incl_tax": f"{note.amount_incl_tax:.2f}",
        "corrects_invoice_id": corrected.id if corrected is not None else None,
        "corrects_number": corrected.number if corrected is not None else None,
        "reason": reason, "status": note.status, "version": note.version,
        "download_path": f"/factures/{note.id}/pdf",
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


# --- numbering at commit (a consumer's batch) ---------------------------------------------------------
UNNUMBERED = "billing.unnumbered"
INSERTED_AFTER = "billing.inserted_after_numbering"  # rows referring to invoices inserted at commit


def number_at_commit(session: Session) -> None:
    """From now on in this transaction, invoices are numbered (and their events recorded) just before it
    commits, all at once: the sequence row is then locked only from there to the commit, so several
    workers invoice declarations in parallel and queue up only for that last step. Until then an invoice
    holds a unique placeholder number (never committed). Numbers stay gapless and follow commit order."""
    if UNNUMBERED in session.info:
        return
    session.info[UNNUMBERED] = []
    orm_event.listen(session, "before_commit", _number_pending)
    orm_event.listen(session, "after_rollback", _forget_pending)


def _forget_pending(session: Session) -> None:
    session.info.pop(UNNUMBERED, None)
    session.info.pop(INSERTED_AFTER, None)


def placeholder_number(invoice_id: str) -> str:
    return "~" + invoice_id.replace("-", "")[:11]


def _number_pending(session: Session) -> None:
    pending = session.info.pop(UNNUMBERED, None)
    if not pending:
        return
    session.flush()
    invoices = [invoice for invoice, _, _ in pending]
    by_year: dict[int, list[Any]] = {}
    for invoice in invoices:
        by_year.setdefault(invoice.issued_on.year, []).append(invoice)
    sequence = InvoiceSequence.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for year, items in sorted(by_year.items()):
        # One statement takes the lock and the numbers of the whole batch (the row exists but once a year).
        take = (sequence.update().where(sequence.c.year == year)
                .values(last_number=sequence.c.last_number + len(items)).returning(sequence.c.last_number))
        last = session.execute(take).scalar()
        if last is None:
            session.execute(dialect.insert(InvoiceSequence).values(year=year, last_number=0)
                            .on_conflict_do_nothing(index_elements=["year"]))
            last = session.execute(take).scalar_one()
        now = utcnow()  # issued now, under the lock: creation times follow the numbers too
        for rank, invoice in enumerate(items, start=last - len(items) + 1):
            invoice.number, invoice.created_at = invoice_number(year, rank), now
    stored = [invoice for invoice in invoices if isinstance(invoice, _Unsaved) and invoice.stored]
    if stored:  # inserted earlier with a placeholder (a batch that took the one-declaration path)
        table = Invoice.__table__
        session.execute(table.update().where(table.c.id == bindparam("invoice_id"))
                        .values(number=bindparam("new_number"), created_at=bindparam("new_created_at")),
                        [{"invoice_id": i.id, "new_number": i.number, "new_created_at": i.created_at} for i in stored])
    # The others are inserted now, already numbered: one statement per table (cheaper than renumbering).
    _store_unsaved(session, invoices)
    session.flush()
    envelopes = []
    for invoice, event_id, correlation_id in pending:
        with context.bound(event_id=event_id, correlation_id=correlation_id):
            envelopes.append(_issued_envelope(session, invoice))
    EVENTS.record_envelopes(session, envelopes)


class _Unsaved(SimpleNamespace):
    """An invoice of a batch, as plain values until it is inserted (no ORM bookkeeping: thousands a
    second in January); `lines` and `instalments` are rows too."""

    def row(self) -> dict[str, Any]:
        return {column.key: getattr(self, column.key) for column in Invoice.__table__.columns}


def _store_unsaved(session: Session, invoices: list[Any]) -> None:
    """Insert, one statement per table, the batch's invoices not stored yet, then the rows referring to them."""
    unsaved = [invoice for invoice in invoices if isinstance(invoice, _Unsaved) and not invoice.stored]
    if unsaved:
        _insert_rows(session, Invoice, [invoice.row() for invoice in unsaved])
        _insert_rows(session, InvoiceLine, [line for invoice in unsaved for line in invoice.lines])
        _insert_rows(session, Instalment, [due for invoice in unsaved for due in invoice.instalments])
        for invoice in unsaved:
            invoice.stored = True
    after = session.info.pop(INSERTED_AFTER, [])
    if after:
        _insert_rows(session, ReceivedDeclaration, after)


def _insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Rows without ORM bookkeeping, in one executemany (pipelined by psycopg: one round trip)."""
    session.execute(model.__table__.insert(), rows)


def _issued_envelope(session: Session, invoice: Invoice) -> Envelope:
    if invoice.kind == CREDIT_NOTE:
        corrected = session.get(Invoice, invoice.corrects_invoice_id) if invoice.corrects_invoice_id else None
        event_type, data = events.CREDIT_NOTE_ISSUED, credit_note_event(invoice, corrected)
    else:
        event_type, data = events.INVOICE_ISSUED, issued_event(invoice)
    return Envelope.new(event_type, producer=events.PRODUCER, subject=invoice.id, member_id=invoice.member_id,
                        data=data)


def _issue(session: Session, command: IssueCommand, *, invoice_id: str | None = None,
           insert_at_commit: bool = False) -> Invoice:
    """Validate, number and store an invoice with its schedule, and record its event, in `session`.

    `insert_at_commit` (numbering at commit only): the invoice is inserted at commit, with the other
    invoices of the batch in one statement per table, instead of now (its number comes just after).
    """
    known = session.get(BillingCustomer, command.member_id) is not None
    checked = check_issue(command, today=today(), customer_known=known)
    invoice_id = invoice_id or str(uuid.uuid4())
    unnumbered = session.info.get(UNNUMBERED)
    if unnumbered is not None and insert_at_commit:  # numbered and inserted when the transaction commits
        invoice = _Unsaved(
            id=invoice_id, member_id=checked.member_id, number=placeholder_number(invoice_id), kind=checked.kind,
            issued_on=checked.issued_on, due_on=checked.due_on, period=checked.period,
            amount_excl_tax=checked.totals.excl_tax, vat_rate=checked.vat_rate, vat_amount=checked.totals.vat,
            amount_incl_tax=checked.totals.incl_tax, amount_paid=checked.amount_paid, status=checked.status,
            created_at=utcnow(), version=1, declaration_id=command.declaration_id, source_key=command.source_key,
            corrects_invoice_id=command.corrects_invoice_id, stored=False,
            lines=[{"id": str(uuid.uuid4()), "invoice_id": invoice_id, "position": rank, "label": line.label,
                    "quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount}
                   for rank, line in enumerate(checked.lines, start=1)],
            instalments=[{"id": str(uuid.uuid4()), "invoice_id": invoice_id, "position": rank, "due_on": due_on,
                          "amount": amount} for rank, (due_on, amount) in enumerate(
                              schedule_for(checked.kind, checked.totals.incl_tax, checked.due_on), start=1)])
        unnumbered.append((invoice, context.event_id.get(), context.correlation_id.get()))
        return invoice
    invoice = Invoice(
        id=invoice_id, member_id=checked.member_id,
        number=(placeholder_number(invoice_id) if unnumbered is not None
                else next_invoice_number(session, checked.issued_on.year)), kind=checked.kind,
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
    if unnumbered is not None:  # numbered, and its event recorded, when the transaction commits
        unnumbered.append((invoice, context.event_id.get(), context.correlation_id.get()))
    session.add(invoice)
    session.flush()
    if unnumbered is not None:
        return invoice
    EVENTS.record_envelopes(session, [_issued_envelope(session, invoice)])
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
    """Whether the company already received an annual fee (else it is a new member owing the entry fee).

    An estimated invoice cancelled by the real declaration does not count: the real invoice then carries
    the entry fee the estimate carried.
    """
    cancelled = select(Invoice.corrects_invoice_id).where(
        Invoice.member_id == member_id, Invoice.source_key.like("cancel:%"), Invoice.corrects_invoice_id.is_not(None))
    return session.scalar(select(Invoice.id).where(
        Invoice.member_id == member_id, Invoice.kind.in_(("cotisation", "facture_office")),
        Invoice.id.not_in(cancelled)).limit(1)) is not None


# Estimates and declarations of one year are serialised against each other (never declarations among
# themselves): a declaration either comes before the closing, which then bills no estimate, or after it,
# and then cancels the estimate. PostgreSQL advisory locks; SQLite serialises writers anyway.
ESTIMATES_LOCK = 7301


def hold_campaign_year(session: Session, year: int, *, exclusive: bool) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {function}(:kind, :year)"), {"kind": ESTIMATES_LOCK, "year": year})


# A company's declaration and its hires are serialised against each other, so a hire is never kept
# waiting for a declaration that was just received (nor billed twice): see automatic.invoice_late_hire.
MEMBER_HIRES_LOCK = 7302


def hold_member_hires(session: Session, member_id: str) -> None:
    hold_members_hires(session, [member_id])


def hold_members_hires(session: Session, member_ids: Iterable[str]) -> None:
    """hold_member_hires for several companies in one statement, taken in a fixed order (no deadlock between
    two workers holding batches of the same companies)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(
        "SELECT count(pg_advisory_xact_lock(:hires, key)) FROM "
        "(SELECT DISTINCT hashtext(member) AS key FROM unnest(CAST(:members AS text[])) AS member ORDER BY 1) AS keys"),
        {"hires": MEMBER_HIRES_LOCK, "members": sorted(set(member_ids))})


def hold_for_declaration(session: Session, member_id: str, year: int) -> None:
    """Both locks a declaration takes, in one round trip: its company's hires, then its year (shared)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:hires, hashtext(:member)), "
                         "pg_advisory_xact_lock_shared(:estimates, :year)"),
                    {"hires": MEMBER_HIRES_LOCK, "member": member_id, "estimates": ESTIMATES_LOCK, "year": year})


def confirmed_declaration(session: Session, member_id: str, year: int) -> ReceivedDeclaration | None:
    """The member's first confirmed declaration of `year` that billing received."""
    return confirmed_declarations(session, [member_id], [year]).get((member_id, year))


def confirmed_declarations(session: Session, member_ids: Collection[str],
                           years: Collection[int]) -> dict[tuple[str, int], ReceivedDeclaration]:
    """confirmed_declaration for several companies and years in one query, keyed by (member, year)."""
    found: dict[tuple[str, int], ReceivedDeclaration] = {}
    for declaration in session.scalars(select(ReceivedDeclaration).where(
            ReceivedDeclaration.member_id.in_(member_ids), ReceivedDeclaration.year.in_(years))
            .order_by(ReceivedDeclaration.confirmed_on, ReceivedDeclaration.received_at)):
        found.setdefault((declaration.member_id, declaration.year), declaration)
    return found


def invoice_declaration(session: Session, declaration: Declaration, *,
                        confirmed_on: date | None = None) -> Invoice | None:
    """Issue the annual invoice of a confirmed declaration, once; runs in the consumer's transaction.

    The declaration is kept as received (the campaign dashboard and late hires read it). An estimated
    invoice of that year is first cancelled by a credit note. None when this declaration was already
    received (two deliveries of it queue up on the company's lock; its key is unique besides) or owes nothing.
    """
    # Lock order everywhere: the company's hires, then the campaign year, then the invoice sequence.
    hold_for_declaration(session, declaration.member_id, declaration.year)
    if session.get(ReceivedDeclaration, declaration.declaration_id) is not None:
        return None
    customer = session.get(BillingCustomer, declaration.member_id)
    tariff = tariff_for(session, declaration.year)
    if customer is None or tariff is None:
        raise CannotInvoiceYet("customer unknown" if customer is None else f"no tariff for {declaration.year}")
    received = ReceivedDeclaration(declaration_id=declaration.declaration_id, member_id=declaration.member_id,
                                   year=declaration.year, version=declaration.version,
                                   confirmed_on=confirmed_on or today(), received_at=utcnow())
    estimate = session.scalars(select(Invoice).where(
        Invoice.source_key == estimate_key(declaration.member_id, declaration.year)).with_for_update()).first()
    if estimate is not None:
        cancel_estimate(session, estimate)
    lines = annual_lines(tariff, declaration, new_member=not _billed_before(session, declaration.member_id),
                         sepa_debit=customer.mandate_status == "active")
    invoice = None
    if lines:
        invoice = _issue(session, IssueCommand(
            member_id=declaration.member_id, kind="cotisation", lines=lines, vat_rate=tariff.vat_rate,
            period=str(declaration.year), declaration_id=declaration.declaration_id,
            source_key=declaration_key(declaration.declaration_id)))
        received.invoice_id = invoice.id
    else:
        log.info("declaration owes nothing, no invoice", extra={"declaration_id": declaration.declaration_id})
    # Added once the invoice is stored, so one INSERT records both the receipt and its invoice.
    session.add(received)
    session.flush()
    return invoice


def invoice_declarations(session: Session, received: list[tuple[Declaration, date, str | None, str | None]]) -> None:
    """The annual invoices of a batch of confirmed declarations `(declaration, confirmed_on, event_id,
    correlation_id)`, in the consumer's transaction: what invoice_declaration does for each, with a few
    set-based queries for the whole batch. The invoices are numbered and inserted at commit
    (number_at_commit). A declaration with an estimate to cancel or hires waiting for it goes through
    invoice_declaration itself."""
    from .automatic import bill_pending_hires  # (automatic builds on this module)

    number_at_commit(session)
    if session.get_bind().dialect.name != "postgresql":
        for declaration, confirmed, event_id, correlation_id in received:
            with context.bound(event_id=event_id, correlation_id=correlation_id):
                invoice_declaration(session, declaration, confirmed_on=confirmed)
                bill_pending_hires(session, declaration.member_id, declaration.year)
        return
    members = sorted({declaration.member_id for declaration, *_ in received})
    years = sorted({declaration.year for declaration, *_ in received})
    # The same locks as invoice_declaration, every company's at once in one order (no deadlock between
    # two batches), then each year's, shared.
    hold_members_hires(session, members)
    session.execute(text("SELECT count(pg_advisory_xact_lock_shared(:estimates, year)) FROM "
                         "unnest(CAST(:years AS int[])) AS year"), {"estimates": ESTIMATES_LOCK, "years": years})
    ids = [declaration.declaration_id for declaration, *_ in received]
    seen = set(session.scalars(select(ReceivedDeclaration.declaration_id)
                               .where(ReceivedDeclaration.declaration_id.in_(ids))))
    customers = {c.member_id: c for c in session.scalars(select(BillingCustomer)
                                                         .where(BillingCustomer.member_id.in_(members)))}
    tariffs = {year: tariff_for(session, year) for year in years}
    estimate_keys = {estimate_key(d.member_id, d.year): (d.member_id, d.year) for d, *_ in received}
    slow = {estimate_keys[key] for key in session.scalars(select(Invoice.source_key)
                                                          .where(Invoice.source_key.in_(list(estimate_keys))))}
    slow |= set(tuple(row) for row in session.execute(select(PendingHire.member_id, PendingHire.year).where(
        PendingHire.member_id.in_(members), PendingHire.year.in_(years)).distinct()).all())
    billed = _billed_members(session, members)
    later = session.info.setdefault(INSERTED_AFTER, [])
    for declaration, confirmed, event_id, correlation_id in received:
        if declaration.declaration_id in seen:  # delivered again under another event id
            continue
        seen.add(declaration.declaration_id)
        member_id, year = declaration.member_id, declaration.year
        customer, tariff = customers.get(member_id), tariffs[year]
        if customer is None or tariff is None:
            raise CannotInvoiceYet("customer unknown" if customer is None else f"no tariff for {year}")
        with context.bound(event_id=event_id, correlation_id=correlation_id):
            if (member_id, year) in slow:
                # Rare: the one-declaration path, which must see what this batch already wrote.
                _store_unsaved(session, [invoice for invoice, _, _ in session.info[UNNUMBERED]])
                later = session.info.setdefault(INSERTED_AFTER, [])
                invoice_declaration(session, declaration, confirmed_on=confirmed)
                bill_pending_hires(session, member_id, year)
                billed.add(member_id)
                continue
            row = {"declaration_id": declaration.declaration_id, "member_id": member_id, "year": year,
                   "version": declaration.version, "confirmed_on": confirmed, "received_at": utcnow(),
                   "invoice_id": None}
            lines = annual_lines(tariff, declaration, new_member=member_id not in billed,
                                 sepa_debit=customer.mandate_status == "active")
            if lines:
                invoice = _issue(session, IssueCommand(
                    member_id=member_id, kind="cotisation", lines=lines, vat_rate=tariff.vat_rate,
                    period=str(year), declaration_id=declaration.declaration_id,
                    source_key=declaration_key(declaration.declaration_id)), insert_at_commit=True)
                row["invoice_id"] = invoice.id
                billed.add(member_id)
            else:
                log.info("declaration owes nothing, no invoice", extra={"declaration_id": declaration.declaration_id})
            later.append(row)


def _billed_members(session: Session, members: list[str]) -> set[str]:
    """_billed_before for many companies in one query."""
    cancelled = select(Invoice.corrects_invoice_id).where(
        Invoice.member_id.in_(members), Invoice.source_key.like("cancel:%"), Invoice.corrects_invoice_id.is_not(None))
    return set(session.scalars(select(Invoice.member_id).where(
        Invoice.member_id.in_(members), Invoice.kind.in_(("cotisation", "facture_office")),
        Invoice.id.not_in(cancelled)).distinct()))


# --- credit notes -------------------------------------------------------------------------------------
def credited_before(session: Session, invoice_id: str) -> Decimal:
    """What earlier credit notes took back from an invoice, excluding tax (a positive amount)."""
    total = session.scalar(select(func.coalesce(func.sum(Invoice.amount_excl_tax), 0)).where(
        Invoice.corrects_invoice_id == invoice_id, Invoice.kind == CREDIT_NOTE))
    return -Decimal(total or 0).quantize(Decimal("0.01"))


def corrected_view(session: Session, invoice: Invoice) -> CorrectedInvoice:
    return CorrectedInvoice(
        number=invoice.number, kind=invoice.kind, amount_excl_tax=invoice.amount_excl_tax,
        lines=tuple(PricedLine(line.label, line.quantity, line.unit_price, line.amount) for line in invoice.lines),
        already_credited=credited_before(session, invoice.id))


def _issue_credit_note(session: Session, corrected: Invoice, lines: tuple[LineInput, ...], *,
                       source_key: str | None = None) -> Invoice:
    """Issue a credit note against `corrected` (locked by the caller) and set it off against what is
    still due on it; what cannot be set off stays owed back to the company."""
    applied = set_off(lines, corrected.vat_rate, corrected.amount_due)
    note = _issue(session, IssueCommand(
        member_id=corrected.member_id, kind=CREDIT_NOTE, lines=lines, vat_rate=corrected.vat_rate,
        period=corrected.period, amount_paid=-applied, source_key=source_key, corrects_invoice_id=corrected.id))
    if applied:
        effect = settle(corrected.amount_incl_tax, corrected.amount_paid, corrected.status, applied)
        corrected.amount_paid, corrected.status = effect.amount_paid, effect.status
        corrected.version += 1
        session.flush()
        # The company now owes less: debits it was told about must not take more.
        fit_pending_debits(session, corrected, reason=AFTER_CREDIT_NOTE)
    return note


def cancel_estimate(session: Session, estimate: Invoice) -> Invoice | None:
    """The credit note cancelling an estimated invoice once the real declaration came (once only)."""
    key = cancellation_key(estimate.id)
    if session.scalar(select(Invoice.id).where(Invoice.source_key == key)) is not None:
        return None
    try:
        lines = credit_note_lines(corrected_view(session, estimate), cancel_all=True, amount_excl_tax=None,
                                  label=f"Annulation de la facture d'office {estimate.number}")
    except CreditNoteRejected:  # staff already cancelled it by hand
        return None
    return _issue_credit_note(session, estimate, lines, source_key=key)


def issue_credit_note(portal: Portal, invoice_id: str, *, label: str, amount_excl_tax: Decimal | None,
                      cancel_all: bool) -> Invoice:
    """Staff correct an invoice with a credit note (part of it, or all that is left); publishes
    billing.credit_note.issued.v1. Raises InvoiceNotFound or CreditNoteRejected."""
    with portal.uow() as tx:
        corrected = tx.session.scalars(select(Invoice).where(Invoice.id == invoice_id).with_for_update()).first()
        if corrected is None:
            raise InvoiceNotFound(invoice_id)
        lines = credit_note_lines(corrected_view(tx.session, corrected), label=label,
                                  amount_excl_tax=amount_excl_tax, cancel_all=cancel_all)
        note = _issue_credit_note(tx.session, corrected, lines)
        tx.commit()
        return note


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
        recorded = apply_payment(tx.session, invoice, checked, by=by)
        tx.commit()
        return recorded


def paid_event(invoice: Invoice, payment: Payment) -> dict:
    return {
        "invoice_id": invoice.id, "member_id": invoice.member_id, "number": invoice.number,
        "payment_id": payment.id, "method": payment.method, "amount": f"{payment.amount:.2f}",
        "applied_amount": f"{payment.applied_amount:.2f}",
        "credit_amount": f"{payment.amount - payment.applied_amount:.2f}",
        "amount_due": f"{invoice.amount_due:.2f}", "status": invoice.status,
        "received_on": payment.received_on.isoformat(), "version": invoice.version,
    }


def apply_payment(session: Session, invoice: Invoice, payment: PaymentInput, *, by: str) -> Payment:
    """Settle `invoice` (locked by the caller) with a checked payment, in the caller's transaction; what
    exceeds the amount due stays as the company's credit. Publishes billing.invoice.paid.v1."""
    effect = settle(invoice.amount_incl_tax, invoice.amount_paid, invoice.status, payment.amount)
    recorded = Payment(id=str(uuid.uuid4()), invoice_id=invoice.id, member_id=invoice.member_id,
                       method=payment.method, amount=payment.amount, applied_amount=effect.applied,
                       received_on=payment.received_on, reference=payment.reference, recorded_by=by[:100],
                       created_at=utcnow())
    invoice.amount_paid, invoice.status = effect.amount_paid, effect.status
    invoice.version += 1
    session.add(recorded)
    session.flush()
    fit_pending_debits(session, invoice, reason=AFTER_PAYMENT)
    EVENTS.record(session, events.INVOICE_PAID, subject=invoice.id, member_id=invoice.member_id,
                  data=paid_event(invoice, recorded))
    return recorded
