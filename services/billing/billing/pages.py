"""Pages of the billing service: invoices, PDF and statement for members; tariffs and payments for staff."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.formats import money_fr
from portal_common.service import portal

from . import services, views
from .domain import KIND_LABELS, STATUS_LABELS
from .forms import amount_text, french_decimal, percent_as_rate, rate_as_percent
from .payments import METHOD_LABELS, STAFF_METHODS, PaymentInput, PaymentRejected
from .pdf import InvoiceDocument, Issuer, render_invoice_pdf
from .statement import statement
from .tariffs import AMOUNT_FIELDS, DEFAULT_RATES, FIELD_LABELS, NATIONAL_AVERAGE_COST, RATE_FIELDS, Tariff, \
    TariffRejected, legal_band

pages = Blueprint("billing_pages", __name__, template_folder="templates")

STATUS_BADGES = {"a_payer": "badge-warning", "partiellement_payee": "badge-info", "acquittee": "badge-success",
                 "contentieux": "badge-danger"}


def chosen_year(raw: str | None, default: int) -> int:
    """The year asked for when it is a plausible year, else the default."""
    if raw and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return default


@pages.get("/factures")
@member_or_staff(member_roles=("billing", "read"))
def invoices():
    principal = require_principal()
    if principal.member_id is None:  # staff without a current company choose one first
        return redirect("/changer-adherent")
    years = views.invoice_years(principal.member_id)
    # By default the latest year invoiced, so last year's unpaid invoices stay in sight in January.
    year = chosen_year(request.args.get("annee"), years[0] if years else services.today().year)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    unpaid, paid = views.split_by_settlement(views.list_invoices(principal.member_id, year=year))
    return render_template("billing/invoices.html", year=year, years=years, unpaid=unpaid, paid=paid,
                           total_due=views.total_due(unpaid), credit=views.credit_of(principal.member_id),
                           kinds=KIND_LABELS, statuses=STATUS_LABELS, badges=STATUS_BADGES,
                           staff_view=principal.is_staff, page_title="Mes factures")


@pages.get("/factures/echeancier")
@member_or_staff(member_roles=("billing", "read"))
def statement_page():
    principal = require_principal()
    if principal.member_id is None:
        return redirect("/changer-adherent")
    rows = statement(views.statement_entries(principal.member_id))
    return render_template("billing/statement.html", rows=rows, page_title="Mon échéancier")


def visible_invoice(invoice_id: str):
    invoice = views.visible_invoice(require_principal(), invoice_id)
    if invoice is None:
        abort(404)
    return invoice


@pages.get("/factures/<string:invoice_id>/pdf")
@member_or_staff(member_roles=("billing", "read"))
def invoice_pdf(invoice_id: str):
    invoice = visible_invoice(invoice_id)
    document = InvoiceDocument(invoice=invoice, customer=views.get_customer(invoice.member_id),
                               schedule=views.schedule_of(invoice),
                               corrected_number=views.invoice_number_of(invoice.corrects_invoice_id))
    body = render_invoice_pdf(document, Issuer.from_settings(portal().settings))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{invoice.number}.pdf"'})


TARIFFS_PATH = "/gestion/factures/tarifs"


def _tariff_form(year: int) -> dict[str, str]:
    """The form of a year: its saved tariff, else the defaults (published national cost, usual rates)."""
    row = views.get_tariff(year)
    values = {name: amount_text(getattr(row, name, None)) for name in AMOUNT_FIELDS}
    values |= {name: rate_as_percent(getattr(row, name, DEFAULT_RATES[name])) for name in RATE_FIELDS}
    if row is None:
        values["national_average_cost"] = amount_text(NATIONAL_AVERAGE_COST.get(year))
    return {"year": str(year), **values}


def _render_tariffs(values: dict[str, str], errors: dict[str, str], status: int = 200):
    rows = views.list_tariffs()
    return render_template("billing/tariffs.html", tariffs=rows, bands={row.year: legal_band(row.national_average_cost)
                                                                        for row in rows},
                           values=values, errors=errors, labels=FIELD_LABELS, amount_fields=AMOUNT_FIELDS,
                           rate_fields=RATE_FIELDS, page_title="Tarifs de facturation"), status


@pages.get(TARIFFS_PATH)
@staff()
def tariffs():
    year = chosen_year(request.args.get("annee"), services.today().year)
    return _render_tariffs(_tariff_form(year), {})


@pages.post(TARIFFS_PATH)
@staff("billing", "administration")
def save_tariff():
    values = {name: request.form.get(name, "").strip()[:30] for name in ("year", *AMOUNT_FIELDS, *RATE_FIELDS)}
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    for name in (*AMOUNT_FIELDS, *RATE_FIELDS):
        value = (percent_as_rate if name in RATE_FIELDS else french_decimal)(values[name])
        if value is None and (values[name] or name != "national_average_cost"):
            errors[name] = f"{FIELD_LABELS[name]} : saisissez un nombre (exemple : {'1,5' if name in RATE_FIELDS else '116,00'})."
        parsed[name] = value
    year = int(values["year"]) if values["year"].isdigit() else 0
    try:
        saved = services.save_tariff(portal(), Tariff(year=year, **parsed), by=require_principal().user_id)
    except TariffRejected as exc:
        errors = {**exc.errors, **errors}
    if errors:
        flash("Le tarif n'a pas été enregistré : corrigez les champs signalés.", "error")
        return _render_tariffs(values, errors, 422)
    flash(f"Tarif {saved.year} enregistré.", "success")
    return redirect(f"{TARIFFS_PATH}?annee={saved.year}")


def _staff_invoice_page(invoice, values: dict[str, str], errors: dict[str, str], status: int = 200):
    return render_template("billing/invoice_admin.html", invoice=invoice, payments=views.payments_of(invoice.id),
                           customer=views.get_customer(invoice.member_id), schedule=views.schedule_of(invoice),
                           kinds=KIND_LABELS, statuses=STATUS_LABELS, badges=STATUS_BADGES, methods=METHOD_LABELS,
                           staff_methods=STAFF_METHODS, values=values, errors=errors,
                           credit_notes=views.credit_notes_of(invoice.id), creditable=views.creditable_of(invoice),
                           corrected_number=views.invoice_number_of(invoice.corrects_invoice_id),
                           page_title=f"Facture {invoice.number}"), status


@pages.get("/gestion/factures/<string:invoice_id>")
@staff()
def staff_invoice(invoice_id: str):
    return _staff_invoice_page(visible_invoice(invoice_id), {"received_on": services.today().isoformat()}, {})


@pages.post("/gestion/factures/<string:invoice_id>/reglements")
@staff("billing", "administration")
def staff_record_payment(invoice_id: str):
    invoice = visible_invoice(invoice_id)
    values = {name: request.form.get(name, "").strip()[:100] for name in ("method", "amount", "received_on",
                                                                          "reference")}
    errors: dict[str, str] = {}
    amount = french_decimal(values["amount"])
    if amount is None:
        errors["amount"] = "Saisissez un montant (exemple : 700,92)."
    try:
        received_on = date.fromisoformat(values["received_on"])
    except ValueError:
        received_on = None
        errors["received_on"] = "Saisissez la date de réception (JJ/MM/AAAA)."
    if not errors:
        try:
            payment = services.record_payment(portal(), invoice.id, PaymentInput(
                values["method"], amount, received_on, values["reference"]), by=require_principal().user_id)
        except PaymentRejected as exc:
            errors = exc.errors
        else:
            flash(f"Règlement de {money_fr(payment.amount)} enregistré sur la facture {invoice.number}.", "success")
            return redirect(f"/gestion/factures/{invoice.id}")
    flash("Le règlement n'a pas été enregistré : corrigez les champs signalés.", "error")
    return _staff_invoice_page(invoice, values, errors, 422)
