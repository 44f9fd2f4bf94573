"""The staff dashboard following a declaration campaign's billing.

It never reloads itself (a page that changes under a screen reader or a keyboard user loses their place, WCAG
2.2.1): « Actualiser les chiffres » reloads it when the reader chooses, and the time of the figures is announced."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from portal_common.access import staff
from portal_common.clock import today, utcnow
from portal_common.roles import EVERY_STAFF_ROLE

from ..web import chosen_year
from .queries import campaign_progress

campaign_pages = Blueprint("billing_campaign_pages", __name__)

DASHBOARD_PATH = "/gestion/factures/campagne"


@campaign_pages.get(DASHBOARD_PATH)
@staff(*EVERY_STAFF_ROLE)
def campaign_dashboard():
    year = chosen_year(request.args.get("annee"), today().year)
    return render_template(
        "billing/campaign.html",
        progress=campaign_progress(year),
        year=year,
        as_of=utcnow(),
        page_title=f"Campagne de déclaration {year} : facturation",
    )
