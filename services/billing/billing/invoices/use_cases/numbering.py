"""Invoice numbers, taken in one visible step just before the use case's transaction commits.

A use case issues its invoices with placeholder numbers into a `Numbering`, then calls `assign` as its last
step: one `UPDATE … RETURNING` per year on the year's sequence row takes the numbers of them all, and their
events are recorded. The sequence row stays locked from there to the commit only, so several workers invoice
declarations in parallel and queue up for that last step alone; a transaction that rolls back gives its
numbers back. Numbers are therefore gapless per year, unique, and follow commit order. Invoices and credit
notes share the sequence.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal_common import context
from portal_common.clock import utcnow
from portal_common.db import insert_rows
from portal_common.messaging.envelope import Envelope
from portal_common.messaging.event_types import EventType
from portal_common.messaging.outbox import Outbox

from ... import events
from ...ledger.queries import credits_of
from ...ledger.use_cases import book, compensation_row, hold_accounts
from ...models import Base, Instalment, Invoice, InvoiceLine, InvoiceSequence, LedgerEntry
from .. import event_data
from ..rules import OPEN_STATUSES, ZERO, InvoiceKind, invoice_number, settlement_status
from .mailing import queue_issued_mails

# Events are recorded in the caller's session: a request's unit of work or a consumer's transaction.
EVENTS = Outbox(events.PRODUCER, Base.metadata)


def placeholder_number(invoice_id: str) -> str:
    """Unique until `assign` replaces it (never committed)."""
    return "~" + invoice_id.replace("-", "")[:11]


class UnsavedInvoice(SimpleNamespace):
    """An invoice of a batch, as plain values until `assign` inserts it (no ORM bookkeeping: thousands a
    second in January); `lines` and `instalments` are rows too."""

    def row(self) -> dict[str, Any]:
        return {column.key: getattr(self, column.key) for column in Invoice.__table__.columns}


class Numbering:
    """The invoices one transaction issues, waiting for their numbers (and their events) until `assign`."""

    def __init__(self) -> None:
        # (invoice, event id, correlation id): each event names the fact that caused its invoice.
        self.pending: list[tuple[Invoice | UnsavedInvoice, str | None, str | None]] = []
        # Rows referring to unsaved invoices, inserted right after them: (model, row).
        self.referring: list[tuple[type[Base], dict[str, Any]]] = []
        # The members' names and billing addresses a batch has read already, by member id (the e-mails' recipients).
        self.recipients: dict[str, Any] = {}

    def add(self, invoice: Invoice | UnsavedInvoice) -> None:
        self.pending.append((invoice, context.event_id.get(), context.correlation_id.get()))

    def add_referring_row(self, model: type[Base], row: dict[str, Any]) -> None:
        self.referring.append((model, row))

    def store_unsaved(self, session: Session) -> None:
        """Insert now, one statement per table, the unsaved invoices and the rows referring to them (what a
        query of the same transaction must see); they keep their placeholders until `assign`."""
        self._store(session, [invoice for invoice, _, _ in self.pending])

    def _store(self, session: Session, invoices: list[Any]) -> None:
        unsaved = [invoice for invoice in invoices if isinstance(invoice, UnsavedInvoice) and not invoice.stored]
        if unsaved:
            _insert_rows(session, Invoice, [invoice.row() for invoice in unsaved])
            _insert_rows(session, InvoiceLine, [line for invoice in unsaved for line in invoice.lines])
            _insert_rows(session, Instalment, [due for invoice in unsaved for due in invoice.instalments])
            for invoice in unsaved:
                invoice.stored = True
        referring, self.referring = self.referring, []
        for model in dict.fromkeys(model for model, _ in referring):
            _insert_rows(session, model, [row for owner, row in referring if owner is model])

    def assign(self, session: Session) -> None:
        """Number every pending invoice and record its event: the use case's last step before it commits."""
        pending, self.pending = self.pending, []
        if not pending:
            self._store(session, [])
            return
        session.flush()
        invoices = [invoice for invoice, _, _ in pending]
        compensated = self._offset_credits(session, invoices)
        by_year: dict[int, list[Any]] = {}
        for invoice in invoices:
            by_year.setdefault(invoice.issued_on.year, []).append(invoice)
        numbered: list[tuple[Any, str, Any]] = []
        for year, items in sorted(by_year.items()):
            last = _take_numbers(session, year, len(items))
            now = utcnow()  # issued now, under the lock: creation times follow the numbers too
            for rank, invoice in enumerate(items, start=last - len(items) + 1):
                numbered.append((invoice, invoice_number(year, rank), now))
        stored = [
            (invoice, number, now)
            for invoice, number, now in numbered
            if not isinstance(invoice, UnsavedInvoice) or invoice.stored
        ]
        if stored:  # inserted with a placeholder: renumbered by one statement, bypassing the ORM's version
            table = Invoice.__table__
            session.execute(
                table.update()
                .where(table.c.id == bindparam("invoice_id"))
                .values(number=bindparam("new_number"), created_at=bindparam("new_created_at")),
                [
                    {"invoice_id": invoice.id, "new_number": number, "new_created_at": now}
                    for invoice, number, now in stored
                ],
            )
        for invoice, number, now in numbered:
            if isinstance(invoice, UnsavedInvoice):
                invoice.number, invoice.created_at = number, now
            else:  # what the database now holds, without an ORM update (which would bump the version)
                set_committed_value(invoice, "number", number)
                set_committed_value(invoice, "created_at", now)
        # The others are inserted now, already numbered: one statement per table (cheaper than renumbering).
        self._store(session, invoices)
        envelopes = []
        for invoice, event_id, correlation_id in pending:
            with context.bound(event_id=event_id, correlation_id=correlation_id):
                envelopes.append(_issued_envelope(session, invoice))
        EVENTS.record_envelopes(session, envelopes)
        queue_issued_mails(session, invoices, compensated, self.recipients)

    def _offset_credits(self, session: Session, invoices: list[Any]) -> dict[str, Any]:
        """Set each member's credit off against its new invoices, in this transaction (« Compensation avoir »,
        docs/domain.md): one query finds which members of the batch hold a credit, only those are locked and
        read again. Returns the amount set off per invoice id."""
        payable = [
            invoice
            for invoice in invoices
            if invoice.kind != InvoiceKind.CREDIT_NOTE
            and invoice.status in OPEN_STATUSES
            and invoice.amount_incl_tax > invoice.amount_paid
        ]
        if not payable or not credits_of(session, sorted({invoice.member_id for invoice in payable})):
            return {}
        holders = sorted({invoice.member_id for invoice in payable})
        # The account's lock, as a staff refund or offset takes it: never the same credit spent twice.
        hold_accounts(session, holders)
        credits = credits_of(session, holders)
        compensated: dict[str, Any] = {}
        for invoice in payable:
            amount = min(credits.get(invoice.member_id, ZERO), invoice.amount_incl_tax - invoice.amount_paid)
            if amount <= ZERO:
                continue
            credits[invoice.member_id] -= amount
            compensated[invoice.id] = amount
            paid = invoice.amount_paid + amount
            status = settlement_status(invoice.amount_incl_tax, paid)
            row = compensation_row(invoice, amount)
            if not isinstance(invoice, UnsavedInvoice):
                invoice.amount_paid, invoice.status = paid, status
                session.flush()
                book(session, row)
            elif not invoice.stored:  # inserted with its new figures, its entry right after it
                invoice.amount_paid, invoice.status = paid, status
                self.add_referring_row(LedgerEntry, row)
            else:
                table = Invoice.__table__
                session.execute(
                    table.update()
                    .where(table.c.id == invoice.id)
                    .values(amount_paid=paid, status=status, version=table.c.version + 1)
                )
                invoice.amount_paid, invoice.status, invoice.version = paid, status, invoice.version + 1
                _insert_rows(session, LedgerEntry, [row])
        session.flush()
        return compensated


def _take_numbers(session: Session, year: int, count: int) -> int:
    """Take `count` numbers of `year` in one statement (which locks the year's row until the commit); the
    last number taken."""
    sequence = InvoiceSequence.__table__
    take = (
        sequence.update()
        .where(sequence.c.year == year)
        .values(last_number=sequence.c.last_number + count)
        .returning(sequence.c.last_number)
    )
    last = session.execute(take).scalar()
    if last is None:  # the year's first invoice creates the row; a concurrent creator just finds it
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(InvoiceSequence)
            .values(year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        last = session.execute(take).scalar_one()
    return int(last)


def _insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Rows without ORM bookkeeping, in one statement per table."""
    insert_rows(session, cast(Table, model.__table__), rows)


def _issued_envelope(session: Session, invoice: Any) -> Envelope:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        corrected = session.get(Invoice, invoice.corrects_invoice_id) if invoice.corrects_invoice_id else None
        event_type, data = EventType.BILLING_CREDIT_NOTE_ISSUED, event_data.credit_note_event(invoice, corrected)
    else:
        event_type, data = EventType.BILLING_INVOICE_ISSUED, event_data.issued_event(invoice)
    return Envelope.new(
        event_type, producer=events.PRODUCER, subject=invoice.id, member_id=invoice.member_id, data=data
    )
