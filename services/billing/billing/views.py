"""Read side: how invoices, tariffs, payments and the statement are found, from the request-bound session."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import selectinload

from portal_common.passport import Principal
from portal_common.service import portal

from .domain import CREDIT_NOTE, KIND_LABELS, PAID, STATUS_LABELS, ZERO
from .models import BillingCustomer, ClosedCampaign, Invoice, Payment, ReceivedDeclaration, TariffRow
from .payments import LITIGATION, METHOD_LABELS
from .statement import Entry
from .tariffs import Tariff, legal_band


def invoice_as_dict(invoice: Invoice, *, with_lines: bool = False) -> dict:
    shown = {
        "id": invoice.id, "member_id": invoice.member_id, "number": invoice.number, "kind": invoice.kind,
        "kind_label": KIND_LABELS[invoice.kind], "issued_on": invoice.issued_on, "due_on": invoice.due_on,
        "period": invoice.period, "amount_excl_tax": invoice.amount_excl_tax, "vat_rate": invoice.vat_rate,
        "vat_amount": invoice.vat_amount, "amount_incl_tax": invoice.amount_incl_tax,
        "amount_paid": invoice.amount_paid, "amount_due": invoice.amount_due,
        "status": invoice.status, "status_label": STATUS_LABELS[invoice.status], "version": invoice.version,
    }
    if with_lines:
        shown["created_at"] = invoice.created_at
        shown["declaration_id"] = invoice.declaration_id
        shown["corrects_invoice_id"] = invoice.corrects_invoice_id
        shown["download_path"] = f"/factures/{invoice.id}/pdf"
        shown["lines"] = [{"label": line.label, "quantity": line.quantity, "unit_price": line.unit_price,
                           "amount": line.amount} for line in invoice.lines]
        shown["instalments"] = [{"due_on": due_on, "amount": amount} for due_on, amount in schedule_of(invoice)]
    return shown


def schedule_of(invoice: Invoice) -> list[tuple[date, Decimal]]:
    """Due dates and amounts; an invoice from before schedules were stored is due at once."""
    return [(i.due_on, i.amount) for i in invoice.instalments] or [(invoice.due_on, invoice.amount_incl_tax)]


def visible_invoice(principal: Principal, invoice_id: str) -> Invoice | None:
    """The invoice if the caller may see it (staff, or a user of the invoiced company), else None:
    another company's invoice looks exactly like a missing one (no enumeration)."""
    invoice = get_invoice(invoice_id)
    if invoice is None or (not principal.is_staff and invoice.member_id != principal.member_id):
        return None
    return invoice


def get_invoice(invoice_id: str) -> Invoice | None:
    return portal().db.session.scalars(
        select(Invoice).where(Invoice.id == invoice_id)
        .options(selectinload(Invoice.lines), selectinload(Invoice.instalments))).first()


def _filtered(stmt: Select, member_id: str | None, year: int | None, status: str | None) -> Select:
    if member_id is not None:
        stmt = stmt.where(Invoice.member_id == member_id)
    if year is not None:
        # A date range rather than extract(): the (member_id, issued_on) index serves it.
        stmt = stmt.where(Invoice.issued_on >= date(year, 1, 1), Invoice.issued_on <= date(year, 12, 31))
    if status is not None:
        stmt = stmt.where(Invoice.status == status)
    return stmt


def count_invoices(member_id: str | None, *, year: int | None = None, status: str | None = None) -> int:
    stmt = _filtered(select(func.count()).select_from(Invoice), member_id, year, status)
    return int(portal().db.session.scalar(stmt) or 0)


def list_invoices(member_id: str | None, *, year: int | None = None, status: str | None = None,
                  offset: int = 0, limit: int | None = None) -> list[Invoice]:
    """Newest first; `member_id=None` means every member (staff only)."""
    stmt = _filtered(select(Invoice), member_id, year, status).order_by(Invoice.issued_on.desc(), Invoice.number.desc())
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
    """Unpaid first (anything not acquittée, litigation included), then the paid ones."""
    unpaid = [invoice for invoice in invoices if invoice.status != PAID]
    paid = [invoice for invoice in invoices if invoice.status == PAID]
    return unpaid, paid


def total_due(invoices: list[Invoice]) -> Decimal:
    return sum((invoice.amount_due for invoice in invoices), ZERO)


def list_tariffs() -> list[TariffRow]:
    return list(portal().db.session.scalars(select(TariffRow).order_by(TariffRow.year.desc())))


def tariff_as_dict(row: TariffRow) -> dict:
    low, high = legal_band(row.national_average_cost)
    shown = {name: getattr(row, name) for name in Tariff.__dataclass_fields__}
    return {**shown, "legal_band_min": low, "legal_band_max": high, "updated_at": row.updated_at,
            "updated_by": row.updated_by}


def get_tariff(year: int) -> TariffRow | None:
    return portal().db.session.get(TariffRow, year)


def get_customer(member_id: str) -> BillingCustomer | None:
    return portal().db.session.get(BillingCustomer, member_id)


def invoice_number_of(invoice_id: str | None) -> str | None:
    if invoice_id is None:
        return None
    return portal().db.session.scalar(select(Invoice.number).where(Invoice.id == invoice_id))


def statement_entries(member_id: str) -> list[Entry]:
    """Instalments, credit notes and payments of the company, invoices in litigation left out."""
    session = portal().db.session
    invoices = list(session.scalars(select(Invoice).where(Invoice.member_id == member_id,
                                                          Invoice.status != LITIGATION)
                                    .options(selectinload(Invoice.instalments))))
    entries: list[Entry] = []
    for invoice in invoices:
        label = KIND_LABELS[invoice.kind]
        if invoice.kind == CREDIT_NOTE:
            entries.append(Entry(invoice.number, invoice.issued_on, invoice.due_on, label, invoice.period,
                                 credit=-invoice.amount_incl_tax))
            continue
        schedule = schedule_of(invoice)
        for rank, (due_on, amount) in enumerate(schedule, start=1):
            shown = label if len(schedule) == 1 else f"{label} (échéance {rank}/{len(schedule)})"
            entries.append(Entry(invoice.number, invoice.issued_on, due_on, shown, invoice.period, debit=amount))
    numbers = {invoice.id: invoice for invoice in invoices}
    for payment in session.scalars(select(Payment).where(Payment.member_id == member_id)):
        invoice = numbers.get(payment.invoice_id)
        if invoice is not None:
            entries.append(Entry(invoice.number, payment.received_on, payment.received_on,
                                 f"Règlement ({METHOD_LABELS[payment.method].lower()})", invoice.period,
                                 credit=payment.amount))
    return entries


def payments_of(invoice_id: str) -> list[Payment]:
    return list(portal().db.session.scalars(
        select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.received_on, Payment.created_at)))


def credit_of(member_id: str) -> Decimal:
    """Overpayments kept for the company (what payments brought beyond the invoices they settled)."""
    stmt = select(func.coalesce(func.sum(Payment.amount - Payment.applied_amount), 0)).where(
        Payment.member_id == member_id)
    return Decimal(portal().db.session.scalar(stmt) or 0).quantize(Decimal("0.01"))


def payment_as_dict(payment: Payment) -> dict:
    return {"id": payment.id, "invoice_id": payment.invoice_id, "method": payment.method, "amount": payment.amount,
            "applied_amount": payment.applied_amount, "credit_amount": payment.amount - payment.applied_amount,
            "received_on": payment.received_on, "reference": payment.reference}


# --- credit notes and the campaign dashboard ----------------------------------------------------------
def credit_notes_of(invoice_id: str) -> list[Invoice]:
    """Credit notes correcting an invoice, oldest first."""
    return list(portal().db.session.scalars(select(Invoice).where(
        Invoice.corrects_invoice_id == invoice_id, Invoice.kind == CREDIT_NOTE).order_by(Invoice.number)))


def creditable_of(invoice: Invoice) -> Decimal:
    """What credit notes may still take back from an invoice, excluding tax."""
    if invoice.kind == CREDIT_NOTE:
        return ZERO
    credited = sum((-note.amount_excl_tax for note in credit_notes_of(invoice.id)), ZERO)
    return invoice.amount_excl_tax - credited


@dataclass(frozen=True)
class CampaignProgress:
    """Where billing stands on one year's declaration campaign (live: read at each request)."""

    year: int
    received: int  # confirmed declarations billing received
    invoiced: int  # of which an annual invoice was issued
    not_invoiced: int  # received but nothing owed (or not yet invoiced)
    pending: int  # active member companies with neither a declaration nor an estimate yet
    estimated: int  # estimated invoices issued at the campaign's closing
    estimates_cancelled: int  # of which cancelled by a credit note once the real declaration came
    invoiced_amount_incl_tax: Decimal  # annual invoices of the year, TTC
    closed_at: datetime | None


def campaign_progress(year: int) -> CampaignProgress:
    session = portal().db.session
    received = int(session.scalar(select(func.count()).select_from(ReceivedDeclaration)
                                  .where(ReceivedDeclaration.year == year)) or 0)
    invoiced = int(session.scalar(select(func.count()).select_from(ReceivedDeclaration).where(
        ReceivedDeclaration.year == year, ReceivedDeclaration.invoice_id.is_not(None))) or 0)
    period = str(year)
    estimated = int(session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.kind == "facture_office", Invoice.period == period)) or 0)
    cancelled = int(session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.kind == CREDIT_NOTE, Invoice.period == period, Invoice.source_key.like("cancel:%"))) or 0)
    declared = select(ReceivedDeclaration.member_id).where(ReceivedDeclaration.year == year)
    estimated_members = select(Invoice.member_id).where(Invoice.kind == "facture_office", Invoice.period == period)
    pending = int(session.scalar(select(func.count()).select_from(BillingCustomer).where(
        BillingCustomer.status == "active", BillingCustomer.member_id.not_in(declared),
        BillingCustomer.member_id.not_in(estimated_members))) or 0)
    amount = session.scalar(select(func.coalesce(func.sum(Invoice.amount_incl_tax), 0)).where(
        Invoice.kind == "cotisation", Invoice.period == period, Invoice.declaration_id.is_not(None)))
    closed = session.get(ClosedCampaign, year)
    return CampaignProgress(year=year, received=received, invoiced=invoiced, not_invoiced=received - invoiced,
                            pending=pending, estimated=estimated, estimates_cancelled=cancelled,
                            invoiced_amount_incl_tax=Decimal(amount or 0).quantize(Decimal("0.01")),
                            closed_at=closed.closed_at if closed else None)
