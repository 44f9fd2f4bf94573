"""Invoice pages: « Mes factures », an invoice's PDF and Factur-X files, and the staff page of an invoice."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, abort, redirect, render_template, request

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.clock import today
from portal_common.roles import EVERY_STAFF_ROLE, INVOICE_READERS
from portal_common.service import portal

from ..ledger.queries import account_of, credit_set_off, debits_in_flight, yearly_history
from ..web import STATUS_BADGES, chosen_year, staff_invoice_page, visible_invoice
from . import queries
from .einvoice import render_facturx
from .pdf import PDFA_FONTS, InvoiceDocument, Issuer, render_invoice_pdf
from .rules import KIND_LABELS, STATUS_LABELS, ZERO, status_label

pages = Blueprint("billing_pages", __name__)
log = logging.getLogger(__name__)


@pages.get("/factures")
@member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)
def invoices():
    principal = require_principal()
    if principal.member_id is None:  # staff without a current company choose one first
        return redirect("/changer-adherent")
    years = queries.invoice_years(principal.member_id)
    # By default the latest year invoiced, so last year's unpaid invoices stay in sight in January.
    year = chosen_year(request.args.get("annee"), years[0] if years else today().year)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    history = yearly_history(principal.member_id)
    # « Historique des cotisations » links each period to its invoices, whatever year they were issued in.
    period = request.args.get("periode")
    if period not in {row.year for row in history}:
        period = None
    if period is None:
        listed = queries.list_invoices(principal.member_id, year=year)
    else:
        listed = queries.list_invoices(principal.member_id, period=period)
    unpaid, paid = queries.split_by_settlement(listed)
    return render_template(
        "billing/invoices.html",
        year=year,
        period=period,
        scope=f"pour la période {period}" if period else f"en {year}",
        years=years,
        unpaid=unpaid,
        paid=paid,
        total_due=queries.total_due(unpaid),
        account=account_of(principal.member_id),
        history=history,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        badges=STATUS_BADGES,
        in_flight=debits_in_flight(invoice.id for invoice in listed),
        set_off=credit_set_off(invoice.id for invoice in listed),
        status_label=status_label,
        staff_view=principal.is_staff,
        page_title="Mes factures",
    )


def _document(invoice) -> InvoiceDocument:
    return InvoiceDocument(
        invoice=invoice,
        customer=queries.get_customer(invoice.member_id),
        schedule=queries.schedule_of(invoice),
        corrected_number=queries.invoice_number_of(invoice.corrects_invoice_id),
        compensated=credit_set_off([invoice.id]).get(invoice.id, ZERO),
    )


@pages.get("/factures/<string:invoice_id>/pdf")
@member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)
def invoice_pdf(invoice_id: str):
    invoice = visible_invoice(invoice_id)
    body = render_invoice_pdf(_document(invoice), Issuer.from_settings(portal().settings))
    return Response(
        body, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'}
    )


@pages.get("/factures/<string:invoice_id>/facturx")
@member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)
def invoice_facturx(invoice_id: str):
    """The Factur-X file (PDF/A-3 with its CII XML) of an invoice or a credit note."""
    invoice = visible_invoice(invoice_id)
    settings = portal().settings
    font_dir = Path(settings.pdfa_font_dir)
    if not all((font_dir / name).is_file() for name in PDFA_FONTS.values()):
        log.error("Factur-X fonts missing: set BILLING_PDFA_FONT_DIR", extra={"font_dir": str(font_dir)})
        abort(503)
    body = render_facturx(_document(invoice), Issuer.from_settings(settings), font_dir)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{invoice.number}-facturx.pdf"'},
    )


@pages.get("/gestion/factures/<string:invoice_id>")
@staff(*EVERY_STAFF_ROLE)
def staff_invoice(invoice_id: str):
    return staff_invoice_page(visible_invoice(invoice_id), {"received_on": today().isoformat()}, {})
