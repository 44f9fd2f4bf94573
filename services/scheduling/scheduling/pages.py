"""Pages of the scheduling service: the company's appointments."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request

from portal_common.access import member_or_staff, require_principal
from portal_common.clock import utcnow

from . import views
from .domain import STATUSES, VISIT_TYPES, WHEN_PAST, WHEN_UPCOMING

pages = Blueprint("scheduling_pages", __name__, template_folder="templates")


@pages.get("/rendez-vous")
@member_or_staff()
def appointments():
    """'Mes rendez-vous': upcoming and past visits of the current company, optionally for one employee."""
    principal = require_principal()
    if not principal.member_id:  # staff who have not picked a company yet
        return redirect("/changer-adherent")
    selected = request.args.get("salarie", "").strip()[:36]
    now = utcnow()
    upcoming = views.list_appointments(member_id=principal.member_id, when=WHEN_UPCOMING, now=now,
                                       employee_id=selected or None)
    past = views.list_appointments(member_id=principal.member_id, when=WHEN_PAST, now=now,
                                   employee_id=selected or None)
    return render_template("scheduling/appointments.html", upcoming=upcoming, past=past,
                           employees=views.company_employees(principal.member_id), selected=selected,
                           visit_types=VISIT_TYPES, statuses=STATUSES, badges=views.STATUS_BADGES,
                           page_title="Mes rendez-vous")
