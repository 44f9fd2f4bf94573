"""Invoices billing issues on its own from other services' facts: estimated invoices when a campaign
closes, no-show fees and late-hire fees. Each runs in the consumer's transaction (which commits with the
inbox row) and is idempotent through the invoice's unique source key."""
from __future__ import annotations

import logging

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from portal_common.clock import utcnow

from .domain import IssueCommand
from .estimates import CampaignClosed, estimate_key, estimate_lines
from .fees import Hire, MissedAppointment, declaration_reference_date, is_late_hire, late_hire_key, late_hire_lines, \
    no_show_key, no_show_lines
from .models import BillingCustomer, ClosedCampaign, Invoice, PendingHire, ReceivedDeclaration
from .services import CannotInvoiceYet, _billed_before, _issue, confirmed_declaration, confirmed_declarations, \
    hold_campaign_year, hold_member_hires, hold_members_hires, tariff_for, today

log = logging.getLogger(__name__)

ESTIMATE = "facture_office"
NO_SHOW = "absence"
LATE_HIRE = "embauche"


def _already_issued(session: Session, key: str) -> bool:
    return session.scalar(select(Invoice.id).where(Invoice.source_key == key)) is not None


def estimate_undeclared(session: Session, closed: CampaignClosed) -> list[Invoice]:
    """An estimated invoice for each member workforce lists as undeclared, unless billing already received
    its declaration or already estimated it. A member billing does not know yet is skipped and logged."""
    tariff = tariff_for(session, closed.year)
    if tariff is None:
        raise CannotInvoiceYet(f"no tariff for {closed.year}")
    # Declarations being invoiced finish first; those arriving now wait and then cancel the estimates.
    hold_campaign_year(session, closed.year, exclusive=True)
    record = session.get(ClosedCampaign, closed.year) or ClosedCampaign(year=closed.year)
    record.campaign_id, record.closed_at = closed.campaign_id, closed.closed_at
    record.undeclared_count, record.received_at = len(closed.undeclared), utcnow()
    session.add(record)
    # Hires kept for declarations of past years that will never come are dropped.
    session.execute(delete(PendingHire).where(PendingHire.year < today().year - 1))
    members = [member.member_id for member in closed.undeclared]
    declared = set(session.scalars(select(ReceivedDeclaration.member_id).where(
        ReceivedDeclaration.year == closed.year, ReceivedDeclaration.member_id.in_(members)))) if members else set()
    issued = []
    for member in closed.undeclared:
        key = estimate_key(member.member_id, closed.year)
        if member.member_id in declared or _already_issued(session, key):
            continue
        customer = session.get(BillingCustomer, member.member_id)
        if customer is None:
            log.warning("undeclared member unknown to billing, no estimate", extra={"member_id": member.member_id})
            continue
        lines = estimate_lines(tariff, closed.year, member, new_member=not _billed_before(session, member.member_id),
                               sepa_debit=customer.mandate_status == "active")
        issued.append(_issue(session, IssueCommand(
            member_id=member.member_id, kind=ESTIMATE, lines=lines, vat_rate=tariff.vat_rate,
            period=str(closed.year), source_key=key)))
    session.flush()
    return issued


def _billable(session: Session, member_id: str, year: int):
    customer = session.get(BillingCustomer, member_id)
    tariff = tariff_for(session, year)
    if customer is None or tariff is None:
        raise CannotInvoiceYet("customer unknown" if customer is None else f"no tariff for {year}")
    return tariff


def invoice_no_show(session: Session, missed: MissedAppointment) -> Invoice | None:
    """The no-show fee of an unexcused missed appointment, once per appointment."""
    key = no_show_key(missed.appointment_id)
    if _already_issued(session, key):
        return None
    tariff = _billable(session, missed.member_id, missed.year)
    lines = no_show_lines(tariff, missed)
    if not lines:
        return None
    return _issue(session, IssueCommand(member_id=missed.member_id, kind=NO_SHOW, lines=lines,
                                        vat_rate=tariff.vat_rate, period=str(missed.year), source_key=key))


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
    kept = set(session.scalars(select(PendingHire.employee_id)
                               .where(PendingHire.employee_id.in_([hire.employee_id for hire in todo]))))
    current_year, invoices, pending = today().year, [], []
    for hire in todo:
        declaration = declared.get((hire.member_id, hire.hire_date.year))
        if declaration is not None:
            invoices.append(_late_hire_invoice(session, hire, declaration.year))
        elif (hire.hire_date > declaration_reference_date(hire.hire_date.year)
              and current_year - 1 <= hire.hire_date.year <= current_year and hire.employee_id not in kept):
            pending.append({"employee_id": hire.employee_id, "member_id": hire.member_id,
                            "year": hire.hire_date.year, "hire_date": hire.hire_date, "category": hire.category,
                            "received_at": utcnow()})
    if pending:
        session.execute(insert(PendingHire), pending)
    return [invoice for invoice in invoices if invoice is not None]


def _late_hire_invoice(session: Session, hire: Hire, declared_year: int) -> Invoice | None:
    if not is_late_hire(hire.hire_date, declared_year):
        return None
    tariff = _billable(session, hire.member_id, hire.hire_date.year)
    lines = late_hire_lines(tariff, hire)
    if not lines:
        return None
    return _issue(session, IssueCommand(member_id=hire.member_id, kind=LATE_HIRE, lines=lines,
                                        vat_rate=tariff.vat_rate, period=str(hire.hire_date.year),
                                        source_key=late_hire_key(hire.employee_id)))


def bill_pending_hires(session: Session, member_id: str, year: int) -> list[Invoice]:
    """Once the company's declaration of `year` is received: bill the hires kept waiting for it.

    Runs in the declaration's transaction, which already holds the company's hires lock.
    """
    waiting = list(session.scalars(select(PendingHire).where(PendingHire.member_id == member_id,
                                                             PendingHire.year == year)
                                   .order_by(PendingHire.hire_date, PendingHire.employee_id)))
    if not waiting:  # the usual case: one query on the rush's path
        return []
    hold_member_hires(session, member_id)
    if confirmed_declaration(session, member_id, year) is None:
        return []
    issued = []
    for row in waiting:
        hire = Hire(row.employee_id, row.member_id, row.hire_date, row.category)
        if not _already_issued(session, late_hire_key(hire.employee_id)):
            invoice = _late_hire_invoice(session, hire, year)
            if invoice is not None:
                issued.append(invoice)
    session.execute(delete(PendingHire).where(PendingHire.member_id == member_id, PendingHire.year == year))
    session.flush()
    return issued
