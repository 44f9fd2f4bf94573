"""Staff pages for credit notes and the campaign dashboard; the Factur-X download for members and staff."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request

from portal_common.access import member_or_staff, staff
from portal_common.formats import money_fr
from portal_common.service import portal

from . import services, views
from .credit_notes import CreditNoteRejected
from .einvoice import render_facturx
from .forms import french_decimal
from .pages import _staff_invoice_page, chosen_year, visible_invoice
from .pdf import PDFA_FONTS, InvoiceDocument, Issuer

log = logging.getLogger(__name__)

campaign_pages = Blueprint("billing_campaign_pages", __name__, template_folder="templates")

# Credit note rule fields → the names of the form's fields on the staff invoice page.
CREDIT_FORM_FIELDS = {"label": "credit_label", "amount_excl_tax": "credit_amount", "invoice": "credit_invoice",
                      "cancel_all": "cancel_all"}
DASHBOARD_PATH = "/gestion/factures/campagne"
REFRESH_SECONDS = 15


@campaign_pages.post("/gestion/factures/<string:invoice_id>/avoirs")
@staff("billing", "administration")
def staff_issue_credit_note(invoice_id: str):
    invoice = visible_invoice(invoice_id)
    values = {"credit_label": request.form.get("credit_label", "").strip()[:200],
              "credit_amount": request.form.get("credit_amount", "").strip()[:30],
              "cancel_all": "1" if request.form.get("cancel_all") else ""}
    errors: dict[str, str] = {}
    amount = french_decimal(values["credit_amount"]) if values["credit_amount"] else None
    if values["credit_amount"] and amount is None:
        errors["credit_amount"] = "Saisissez un montant (exemple : 97,35)."
    if not errors:
        try:
            note = services.issue_credit_note(portal(), invoice.id, label=values["credit_label"],
                                              amount_excl_tax=amount, cancel_all=bool(values["cancel_all"]))
        except CreditNoteRejected as exc:
            errors = {CREDIT_FORM_FIELDS.get(name, name): message for name, message in exc.errors.items()}
        else:
            flash(f"Avoir {note.number} de {money_fr(note.amount_incl_tax)} émis sur la facture {invoice.number}.",
                  "success")
            return redirect(f"/gestion/factures/{invoice.id}")
    flash("L'avoir n'a pas été émis : corrigez les champs signalés.", "error")
    return _staff_invoice_page(invoice, values, errors, 422)


@campaign_pages.get(DASHBOARD_PATH)
@staff()
def campaign_dashboard():
    year = chosen_year(request.args.get("annee"), services.today().year)
    return render_template("billing/campaign.html", progress=views.campaign_progress(year), year=year,
                           refresh_seconds=REFRESH_SECONDS, page_title=f"Campagne de déclaration {year} : facturation")


@campaign_pages.get("/factures/<string:invoice_id>/facturx")
@member_or_staff(member_roles=("billing", "read"))
def invoice_facturx(invoice_id: str):
    """The Factur-X file (PDF/A-3 with its CII XML) of an invoice or a credit note."""
    invoice = visible_invoice(invoice_id)
    document = InvoiceDocument(invoice=invoice, customer=views.get_customer(invoice.member_id),
                               schedule=views.schedule_of(invoice),
                               corrected_number=views.invoice_number_of(invoice.corrects_invoice_id))
    settings = portal().settings
    font_dir = Path(settings.pdfa_font_dir)
    if not all((font_dir / name).is_file() for name in PDFA_FONTS.values()):
        log.error("Factur-X fonts missing: set BILLING_PDFA_FONT_DIR", extra={"font_dir": str(font_dir)})
        abort(503)
    body = render_facturx(document, Issuer.from_settings(settings), font_dir)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{invoice.number}-facturx.pdf"'})
