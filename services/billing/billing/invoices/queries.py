"""Reading invoices for pages and the API, from the request-bound session."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import selectinload

from portal_common.passport import Principal
from portal_common.service import portal

from ..ledger.queries import debits_in_flight
from ..models import BillingCustomer, Invoice
from .rules import KIND_LABELS, ZERO, InvoiceKind, InvoiceStatus, status_label


def invoice_as_dict(invoice: Invoice, *, with_lines: bool = False, in_flight: Decimal | None = None) -> dict:
    """`in_flight`: its SEPA debits sent and not collected (ledger.queries.debits_in_flight), read when not given."""
    if in_flight is None:
        in_flight = debits_in_flight([invoice.id]).get(invoice.id, ZERO)
    shown = {
        "id": invoice.id,
        "member_id": invoice.member_id,
        "number": invoice.number,
        "kind": invoice.kind,
        "kind_label": KIND_LABELS[invoice.kind],
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "period": invoice.period,
        "amount_excl_tax": invoice.amount_excl_tax,
        "vat_rate": invoice.vat_rate,
        "vat_amount": invoice.vat_amount,
        "amount_incl_tax": invoice.amount_incl_tax,
        "amount_paid": invoice.amount_paid,
        "amount_due": invoice.amount_due,
        "amount_debit_in_flight": in_flight,
        "status": invoice.status,
        "status_label": status_label(invoice.status, in_flight),
        "version": invoice.version,
    }
    if with_lines:
        shown["created_at"] = invoice.created_at
        shown["declaration_id"] = invoice.declaration_id
        shown["corrects_invoice_id"] = invoice.corrects_invoice_id
        shown["download_path"] = f"/factures/{invoice.id}/pdf"
        shown["lines"] = [
            {"label": line.label, "quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount}
            for line in invoice.lines
        ]
        shown["instalments"] = [{"due_on": due_on, "amount": amount} for due_on, amount in schedule_of(invoice)]
    return shown


def schedule_of(invoice: Invoice) -> list[tuple[date, Decimal]]:
    """Due dates and amounts; an invoice from before schedules were stored is due at once; a credit note has
    none (never payable)."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return []
    return [(i.due_on, i.amount) for i in invoice.instalments] or [(invoice.due_on, invoice.amount_incl_tax)]


def visible_invoice(principal: Principal, invoice_id: str) -> Invoice | None:
    """The invoice if the caller may see it (staff, or a user of the invoiced company), else None:
    another company's invoice looks exactly like a missing one (no enumeration)."""
    invoice = get_invoice(invoice_id)
    if invoice is None or (not principal.is_staff and invoice.member_id != principal.member_id):
        return None
    return invoice


def get_invoice(invoice_id: str) -> Invoice | None:
    return (
        portal()
        .db.session.scalars(
            select(Invoice)
            .where(Invoice.id == invoice_id)
            .options(selectinload(Invoice.lines), selectinload(Invoice.instalments))
        )
        .first()
    )


def _filtered(
    stmt: Select, member_id: str | None, year: int | None, status: str | None, period: str | None = None
) -> Select:
    if member_id is not None:
        stmt = stmt.where(Invoice.member_id == member_id)
    if year is not None:
        # A date range rather than extract(): the (member_id, issued_on) index serves it.
        stmt = stmt.where(Invoice.issued_on >= date(year, 1, 1), Invoice.issued_on <= date(year, 12, 31))
    if status is not None:
        stmt = stmt.where(Invoice.status == status)
    if period is not None:
        stmt = stmt.where(Invoice.period == period)
    return stmt


def count_invoices(member_id: str | None, *, year: int | None = None, status: str | None = None) -> int:
    stmt = _filtered(select(func.count()).select_from(Invoice), member_id, year, status)
    return int(portal().db.session.scalar(stmt) or 0)


def list_invoices(
    member_id: str | None,
    *,
    year: int | None = None,
    status: str | None = None,
    period: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Invoice]:
    """Newest first; `member_id=None` means every member (staff only); `period`: the period billed, whatever
    the year of issue (a facture d'office of 2027 issued at the campaign's close in January 2028)."""
    stmt = _filtered(select(Invoice), member_id, year, status, period).order_by(
        Invoice.issued_on.desc(), Invoice.number.desc()
    )
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(portal().db.session.scalars(stmt))


def invoice_years(member_id: str) -> list[int]:
    """Years in which the company received invoices, newest first."""
    year = extract("year", Invoice.issued_on)
    rows = portal().db.session.scalars(select(year).where(Invoice.member_id == member_id).distinct())
    return sorted({int(value) for value in rows}, reverse=True)


def split_by_settlement(invoices: list[Invoice]) -> tuple[list[Invoice], list[Invoice]]:
    """Unpaid first (anything not acquittée, litigation included), then the paid ones and the credit notes
    (never payable, never listed as unpaid)."""
    unpaid = [invoice for invoice in invoices if invoice.status not in (InvoiceStatus.PAID, InvoiceStatus.CREDIT_NOTE)]
    settled = [invoice for invoice in invoices if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.CREDIT_NOTE)]
    return unpaid, settled


def total_due(invoices: list[Invoice]) -> Decimal:
    return sum((invoice.amount_due for invoice in invoices), ZERO)


def get_customer(member_id: str) -> BillingCustomer | None:
    return portal().db.session.get(BillingCustomer, member_id)


def invoice_number_of(invoice_id: str | None) -> str | None:
    if invoice_id is None:
        return None
    return portal().db.session.scalar(select(Invoice.number).where(Invoice.id == invoice_id))


def credit_notes_of(invoice_id: str) -> list[Invoice]:
    """Credit notes correcting an invoice, oldest first."""
    return list(
        portal().db.session.scalars(
            select(Invoice)
            .where(Invoice.corrects_invoice_id == invoice_id, Invoice.kind == InvoiceKind.CREDIT_NOTE)
            .order_by(Invoice.number)
        )
    )


def creditable_of(invoice: Invoice) -> Decimal:
    """What credit notes may still take back from an invoice, excluding tax."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return ZERO
    credited = sum((-note.amount_excl_tax for note in credit_notes_of(invoice.id)), ZERO)
    return invoice.amount_excl_tax - credited
