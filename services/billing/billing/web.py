"""Page helpers shared by billing's capabilities: French number input ("1 234,56" euros, "1,5" per cent),
the year asked for, an invoice the caller may see, the staff invoice page, and the enumerations templates
compare with."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, abort, render_template
from flask_smorest import abort as api_abort

from portal_common.access import require_principal

from .invoices import queries as invoices
from .invoices.rules import KIND_LABELS, STATUS_LABELS, InvoiceKind, InvoiceStatus
from .ledger.queries import account_of
from .payments import queries as payments
from .payments.rules import METHOD_LABELS, STAFF_METHODS, CardPaymentStatus

STATUS_BADGES = {
    InvoiceStatus.TO_PAY: "badge-warning",
    InvoiceStatus.PARTLY_PAID: "badge-info",
    InvoiceStatus.PAID: "badge-success",
    InvoiceStatus.LITIGATION: "badge-danger",
    InvoiceStatus.CREDIT_NOTE: "badge-neutral",
}

HUNDRED = Decimal(100)


def french_decimal(raw: str | None) -> Decimal | None:
    """None when empty or not a number; a comma or a dot as the decimal mark, spaces ignored."""
    text = (raw or "").replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text or len(text) > 20:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def percent_as_rate(raw: str | None) -> Decimal | None:
    value = french_decimal(raw)
    return None if value is None else value / HUNDRED


def rate_as_percent(rate: Decimal | None) -> str:
    """0.0150 → "1,5" for a form field."""
    if rate is None:
        return ""
    text = f"{(rate * HUNDRED).normalize():f}"
    return text.replace(".", ",")


def amount_text(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:.2f}".replace(".", ",")


def chosen_year(raw: str | None, default: int) -> int:
    """The year asked for when it is a plausible year, else the default."""
    if raw and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return default


def visible_invoice(invoice_id: str) -> Any:
    """The invoice if the caller may see it, else 404 (another company's invoice looks like a missing one)."""
    invoice = invoices.visible_invoice(require_principal(), invoice_id)
    if invoice is None:
        abort(404)
    return invoice


def readable_invoice(invoice_id: str) -> Any:
    """visible_invoice for the JSON API: 404 with the API's message."""
    invoice = invoices.visible_invoice(require_principal(), invoice_id)
    if invoice is None:
        api_abort(404, message="Invoice not found.")
    return invoice


def staff_invoice_page(invoice: Any, values: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    """The staff page of one invoice, with its payment and credit note forms (each capability's post
    answers with it when its form is refused)."""
    return render_template(
        "billing/invoice_admin.html",
        invoice=invoice,
        payments=payments.payments_of(invoice.id),
        customer=invoices.get_customer(invoice.member_id),
        schedule=invoices.schedule_of(invoice),
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        badges=STATUS_BADGES,
        methods=METHOD_LABELS,
        staff_methods=STAFF_METHODS,
        values=values,
        errors=errors,
        credit_notes=invoices.credit_notes_of(invoice.id),
        creditable=invoices.creditable_of(invoice),
        corrected_number=invoices.invoice_number_of(invoice.corrects_invoice_id),
        account=account_of(invoice.member_id),
        page_title=f"Facture {invoice.number}",
    ), status


def expose_enumerations(app: Flask) -> None:
    """Templates compare with the enumerations, never with their stored values."""
    app.jinja_env.globals.update(
        InvoiceKind=InvoiceKind, InvoiceStatus=InvoiceStatus, CardPaymentStatus=CardPaymentStatus
    )
