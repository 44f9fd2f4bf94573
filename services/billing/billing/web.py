"""Page helpers shared by billing's capabilities: French number input ("1 234,56" euros, "1,5" per cent),
the year asked for, an invoice the caller may see, the staff invoice page, the bank files (pain.008, pain.001)
built or downloaded again, and the enumerations templates compare with."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, Response, abort, flash, render_template
from flask_smorest import abort as api_abort

from portal_common.access import require_principal
from portal_common.service import portal

from .invoices import queries as invoices
from .invoices.rules import KIND_LABELS, STATUS_LABELS, ZERO, InvoiceKind, InvoiceStatus, status_label
from .ledger.queries import account_of, credit_set_off, debits_in_flight
from .payments import queries as payments
from .payments.rules import METHOD_LABELS, STAFF_METHODS, CardPaymentStatus
from .sepa.bank_files import BankFileUnreadable
from .sepa.clients import MembersUnavailable

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
        in_flight=debits_in_flight([invoice.id]).get(invoice.id, ZERO),
        compensated=credit_set_off([invoice.id]).get(invoice.id, ZERO),
        status_label=status_label,
        page_title=f"Facture {invoice.number}",
    ), status


def built_bank_file(
    build: Callable[[], tuple[Any, bytes]], refused: type[Exception], page: Callable[[int], Any]
) -> Any:
    """The file `build` makes (its batch, its bytes) as a download; else the staff page again with the reason:
    422 when the rules refuse (`refused`), 503 when members could not give the IBANs (nothing was recorded)."""
    try:
        created, document = build()
    except refused as exc:
        flash(str(exc), "error")
        return page(422)
    except MembersUnavailable:
        flash(
            "Le service des adhérents ne répond pas : réessayez dans quelques minutes (rien n'a été transmis).", "error"
        )
        return page(503)
    return xml_file(created.message_id, document)


def kept_bank_file(read: Callable[..., tuple[str, bytes]], batch_id: str, page: Callable[[int], Any]) -> Any:
    """A batch's file downloaded again: the same bytes as when it was built (kept sealed), `read` logging who
    downloaded it; 404 for an unknown batch, the staff page (409) when its key was removed from the ring."""
    try:
        message_id, document = read(portal(), batch_id, by=require_principal().user_id)
    except LookupError:
        abort(404)
    except BankFileUnreadable:
        flash("Ce fichier ne peut plus être ouvert : sa clé de chiffrement a été retirée.", "error")
        return page(409)
    return xml_file(message_id, document)


def xml_file(message_id: str, document: bytes) -> Response:
    """A bank file as an attachment named after its message id, never cached (it carries IBANs)."""
    return Response(
        document,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{message_id}.xml"', "Cache-Control": "no-store"},
    )


def expose_enumerations(app: Flask) -> None:
    """Templates compare with the enumerations, never with their stored values."""
    app.jinja_env.globals.update(
        InvoiceKind=InvoiceKind, InvoiceStatus=InvoiceStatus, CardPaymentStatus=CardPaymentStatus
    )
