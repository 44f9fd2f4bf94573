"""Fees billing issues on its own from other services' facts: no-show fees and late-hire fees. Each runs in
the consumer's transaction (which commits with the inbox row), is idempotent through the invoice's unique
source key, and ends by numbering what it issued. A no-show fee follows the appointment's latest outcome:
a correction cancels it by a credit note, or bills it when the absence is restored."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow

from ..credit_notes.use_cases import cancel_in_full
from ..invoices.rules import CannotInvoiceYet, InvoiceKind, IssueCommand
from ..invoices.use_cases.issue import already_issued, prepare_invoice
from ..invoices.use_cases.locks import hold_member_hires, hold_members_hires
from ..invoices.use_cases.numbering import Numbering
from ..models import AppointmentOutcome, BillingCustomer, Invoice, PendingHire, ReceivedDeclaration
from ..sepa.rules import NoticeCreditor
from ..tariffs.queries import tariff_for
from ..tariffs.rules import Tariff
from .rules import (
    Hire,
    RecordedOutcome,
    declaration_reference_date,
    is_late_hire,
    late_hire_key,
    late_hire_lines,
    no_show_cancellation_key,
    no_show_cancellation_label,
    no_show_key,
    no_show_lines,
    supersedes,
)


def _billable(session: Session, member_id: str, year: int) -> Tariff:
    customer = session.get(BillingCustomer, member_id)
    tariff = tariff_for(session, year)
    if customer is None or tariff is None:
        raise CannotInvoiceYet("customer unknown" if customer is None else f"no tariff for {year}")
    return tariff


def confirmed_declaration(session: Session, member_id: str, year: int) -> ReceivedDeclaration | None:
    """The member's first confirmed declaration of `year` that billing received."""
    return confirmed_declarations(session, [member_id], [year]).get((member_id, year))


def confirmed_declarations(
    session: Session, member_ids: Collection[str], years: Collection[int]
) -> dict[tuple[str, int], ReceivedDeclaration]:
    """confirmed_declaration for several companies and years in one query, keyed by (member, year)."""
    found: dict[tuple[str, int], ReceivedDeclaration] = {}
    for declaration in session.scalars(
        select(ReceivedDeclaration)
        .where(ReceivedDeclaration.member_id.in_(member_ids), ReceivedDeclaration.year.in_(years))
        .order_by(ReceivedDeclaration.confirmed_on, ReceivedDeclaration.received_at)
    ):
        found.setdefault((declaration.member_id, declaration.year), declaration)
    return found


def follow_outcome(session: Session, outcome: RecordedOutcome, *, creditor: NoticeCreditor | None) -> None:
    """The appointment's no-show fee as its latest outcome wants it: billed for an unexcused absence, cancelled
    by a credit note otherwise. An outcome older than (or the same as) the one applied changes nothing, so a
    repeated or late event (a retried missed event after its correction) never bills or cancels twice."""
    if not _apply(session, outcome):
        return
    live = _live_no_show_fees(session, outcome)
    if outcome.fee_due:
        if not live:
            _invoice_no_show(session, outcome)
        return
    numbering = Numbering()
    for fee in live:
        cancel_in_full(
            session,
            fee,
            numbering,
            creditor=creditor,
            label=no_show_cancellation_label(fee.number),
            source_key=no_show_cancellation_key(fee.id),
        )
    numbering.assign(session)


def _apply(session: Session, outcome: RecordedOutcome) -> bool:
    """Record `outcome` as the appointment's applied one if it is newer, holding the appointment's row (the
    lock two workers with two events of one appointment queue on); False when it is not newer."""
    applied = session.get(AppointmentOutcome, outcome.appointment_id, with_for_update=True)
    if applied is None:
        try:
            with session.begin_nested():
                session.add(_outcome_row(outcome))
            return True
        except IntegrityError:  # another worker's first event of this appointment, committed meanwhile
            applied = session.get(
                AppointmentOutcome, outcome.appointment_id, with_for_update=True, populate_existing=True
            )
            if applied is None:
                raise
    if not supersedes(outcome, applied.version):
        return False
    applied.status, applied.version, applied.applied_at = outcome.status, outcome.version, utcnow()
    session.flush()
    return True


def _outcome_row(outcome: RecordedOutcome) -> AppointmentOutcome:
    return AppointmentOutcome(
        appointment_id=outcome.appointment_id,
        member_id=outcome.member_id,
        status=outcome.status,
        version=outcome.version,
        applied_at=utcnow(),
    )


def _live_no_show_fees(session: Session, outcome: RecordedOutcome) -> list[Invoice]:
    """The appointment's no-show fees not cancelled by a credit note, locked (at most one in practice)."""
    first = no_show_key(outcome.appointment_id)
    return list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.kind == InvoiceKind.NO_SHOW,
                Invoice.member_id == outcome.member_id,
                or_(Invoice.source_key == first, Invoice.source_key.like(f"{first}:%")),
                Invoice.cancelled_by_id.is_(None),
            )
            .order_by(Invoice.issued_on, Invoice.number)
            .with_for_update()
        )
    )


def _invoice_no_show(session: Session, missed: RecordedOutcome) -> Invoice | None:
    """The no-show fee of an unexcused absence: the appointment's first under its plain key, a fee billed again
    after a cancelled one under the version that restored the absence."""
    key = no_show_key(missed.appointment_id)
    if already_issued(session, key):
        key = no_show_key(missed.appointment_id, missed.version)
        if already_issued(session, key):
            return None
    tariff = _billable(session, missed.member_id, missed.year)
    lines = no_show_lines(tariff, missed)
    if not lines:
        return None
    numbering = Numbering()
    invoice = prepare_invoice(
        session,
        IssueCommand(
            member_id=missed.member_id,
            kind=InvoiceKind.NO_SHOW,
            lines=lines,
            vat_rate=tariff.vat_rate,
            period=str(missed.year),
            source_key=key,
        ),
        numbering,
    )
    numbering.assign(session)
    return invoice  # type: ignore[return-value]  # an ORM invoice


def invoice_late_hire(session: Session, hire: Hire) -> Invoice | None:
    """The late-hire fee for a hire after 1 January of a year the company declared, once per employee.

    While the company's declaration of that year has not reached billing (the January rush), a hire of
    the current year is kept and billed when the declaration arrives (bill_pending_hires).
    """
    invoices = invoice_late_hires(session, [hire])
    return invoices[0] if invoices else None


def invoice_late_hires(session: Session, hires: list[Hire]) -> list[Invoice]:
    """invoice_late_hire for many hires (a consumer's batch) with a few set-based reads whatever their number:
    the companies' hires locks in one statement, then what was issued, declared and kept already."""
    keys = {late_hire_key(hire.employee_id): hire for hire in hires}  # an employee hired twice counts once
    issued = set(session.scalars(select(Invoice.source_key).where(Invoice.source_key.in_(keys))))
    todo = [hire for key, hire in keys.items() if key not in issued]
    if not todo:
        return []
    members = {hire.member_id for hire in todo}
    hold_members_hires(session, members)
    declared = confirmed_declarations(session, members, {hire.hire_date.year for hire in todo})
    kept = set(
        session.scalars(
            select(PendingHire.employee_id).where(PendingHire.employee_id.in_([hire.employee_id for hire in todo]))
        )
    )
    current_year, invoices, pending = today().year, [], []
    numbering = Numbering()
    for hire in todo:
        declaration = declared.get((hire.member_id, hire.hire_date.year))
        if declaration is not None:
            invoices.append(_late_hire_invoice(session, hire, declaration.year, numbering))
        elif (
            hire.hire_date > declaration_reference_date(hire.hire_date.year)
            and current_year - 1 <= hire.hire_date.year <= current_year
            and hire.employee_id not in kept
        ):
            pending.append(
                {
                    "employee_id": hire.employee_id,
                    "member_id": hire.member_id,
                    "year": hire.hire_date.year,
                    "hire_date": hire.hire_date,
                    "category": hire.category,
                    "employee_name": hire.name,
                    "received_at": utcnow(),
                }
            )
    if pending:
        session.execute(insert(PendingHire), pending)
    numbering.assign(session)
    return [invoice for invoice in invoices if invoice is not None]


def _late_hire_invoice(session: Session, hire: Hire, declared_year: int, numbering: Numbering) -> Invoice | None:
    if not is_late_hire(hire.hire_date, declared_year):
        return None
    tariff = _billable(session, hire.member_id, hire.hire_date.year)
    lines = late_hire_lines(tariff, hire)
    if not lines:
        return None
    return prepare_invoice(
        session,
        IssueCommand(  # type: ignore[return-value]  # an ORM invoice
            member_id=hire.member_id,
            kind=InvoiceKind.LATE_HIRE,
            lines=lines,
            vat_rate=tariff.vat_rate,
            period=str(hire.hire_date.year),
            source_key=late_hire_key(hire.employee_id),
        ),
        numbering,
    )


def bill_pending_hires(session: Session, member_id: str, year: int, numbering: Numbering) -> list[Invoice]:
    """Once the company's declaration of `year` is received: bill the hires kept waiting for it, pending in
    the declaration's `numbering`.

    Runs in the declaration's transaction, which already holds the company's hires lock.
    """
    waiting = list(
        session.scalars(
            select(PendingHire)
            .where(PendingHire.member_id == member_id, PendingHire.year == year)
            .order_by(PendingHire.hire_date, PendingHire.employee_id)
        )
    )
    if not waiting:  # the usual case: one query on the rush's path
        return []
    hold_member_hires(session, member_id)
    if confirmed_declaration(session, member_id, year) is None:
        return []
    issued = []
    for row in waiting:
        hire = Hire(row.employee_id, row.member_id, row.hire_date, row.category, row.employee_name)
        if not already_issued(session, late_hire_key(hire.employee_id)):
            invoice = _late_hire_invoice(session, hire, year, numbering)
            if invoice is not None:
                issued.append(invoice)
    session.execute(delete(PendingHire).where(PendingHire.member_id == member_id, PendingHire.year == year))
    session.flush()
    return issued
