"""Pages of the billing service: the company's invoices ("Mes factures")."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request

from portal_common.access import member_or_staff, require_principal

from . import services, views
from .domain import KIND_LABELS, STATUS_LABELS

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
                           total_due=views.total_due(unpaid), kinds=KIND_LABELS, statuses=STATUS_LABELS,
                           badges=STATUS_BADGES, page_title="Mes factures")
