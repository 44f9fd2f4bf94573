"""Pages of the appointments: the company's visits (employer), cancelling one, its calendar, staff's desk."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request

from portal_common.access import member_or_staff, staff
from portal_common.clock import today, utcnow
from portal_common.roles import EMPLOYEE_READERS, EVERY_STAFF_ROLE, VISIT_ORGANISERS
from portal_common.service import portal

from .. import web
from ..directory.queries import company_employees, get_member
from ..documents.queries import documents_by_appointment
from ..obligations.queries import list_obligations, obligation_as_dict, planned_visits
from ..obligations.rules import URGENCY_BADGES
from ..visit_requests.queries import closed_with_reason, list_requests
from ..visit_requests.rules import REQUESTABLE_TYPES
from . import ical, use_cases
from .queries import STATUS_BADGES, list_appointments
from .rules import OPEN_STATUSES, STATUSES, VISIT_TYPES, AppointmentRejected, NotFound, When

pages = Blueprint("scheduling_appointments", __name__)

# The employer's page shows what falls due within this horizon (overdue included).
EMPLOYER_HORIZON_DAYS = 365
# Requests the service closed stay listed, with their reason, this long after they were made.
CLOSED_SHOWN_DAYS = 90


@pages.get("/rendez-vous")
@member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
def appointments():
    """'Mes rendez-vous': visits due, requests, upcoming and past visits of the current company."""
    principal, chooser = web.member_id_or_chooser()
    if chooser:
        return chooser
    selected = request.args.get("salarie", "").strip()[:36]
    now, day = utcnow(), today()
    member_id, employee_id = principal.member_id, selected or None
    upcoming = list_appointments(member_id=member_id, when=When.UPCOMING, now=now, employee_id=employee_id)
    past = list_appointments(member_id=member_id, when=When.PAST, now=now, employee_id=employee_id)
    horizon = day + timedelta(days=EMPLOYER_HORIZON_DAYS)
    obligation_rows = list_obligations(member_id=member_id, due_before=horizon, employee_id=employee_id)
    planned = planned_visits(o.employee_id for o, _ in obligation_rows)
    obligations = [obligation_as_dict(o, e, today=day, planned=planned) for o, e in obligation_rows]
    requests = list_requests(member_id=member_id, open_only=True, employee_id=employee_id)
    closed = closed_with_reason(
        member_id=member_id, since=now - timedelta(days=CLOSED_SHOWN_DAYS), employee_id=employee_id
    )
    limits = {a.id: use_cases.visit_cancellation_limit(portal(), a) for a, _ in upcoming}
    documents = documents_by_appointment(a.id for a, _ in upcoming + past)
    can_request = principal.is_staff or principal.has_member_role(*VISIT_ORGANISERS)
    return render_template(
        "scheduling/appointments.html",
        upcoming=upcoming,
        past=past,
        obligations=obligations,
        requests=requests,
        closed=closed,
        limits=limits,
        documents=documents,
        today=day,
        horizon=horizon,
        can_request=can_request,
        employees=company_employees(member_id),
        selected=selected,
        visit_types=VISIT_TYPES,
        statuses=STATUSES,
        badges=STATUS_BADGES,
        urgency_badges=URGENCY_BADGES,
        requestable=REQUESTABLE_TYPES,
        company=get_member(member_id),
        page_title="Mes rendez-vous",
    )


@pages.post("/rendez-vous/<string:appointment_id>/annulation")
@web.REQUESTERS
def cancel(appointment_id: str):
    return web.employer_action(
        lambda member_id: use_cases.cancel_appointment(portal(), appointment_id, member_id=member_id, today=today()),
        "appointment_id",
        "Le rendez-vous est annulé.",
    )


@pages.get("/rendez-vous/agenda.ics")
@member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
def calendar_export():
    """The company's upcoming visits as an iCalendar file."""
    principal, chooser = web.member_id_or_chooser()
    if chooser:
        return chooser
    now = utcnow()
    rows = list_appointments(member_id=principal.member_id, when=When.UPCOMING, now=now)
    events = [
        {
            "uid": f"{a.id}@rendez-vous.portail",
            "starts_at": a.starts_at,
            "duration_minutes": a.duration_minutes,
            "summary": f"{VISIT_TYPES[a.visit_type]} — {e.last_name} {e.first_names}"
            if e
            else VISIT_TYPES[a.visit_type],
            "location": f"{a.place_name}, {a.place_address}",
            "sequence": a.version,
        }
        for a, e in rows
        if a.status in OPEN_STATUSES
    ]
    body = ical.calendar(events, now=now, name="Rendez-vous santé au travail")
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="rendez-vous.ics"', "Cache-Control": "no-store"},
    )


@pages.get("/gestion/rendez-vous")
@staff(*EVERY_STAFF_ROLE)
def desk():
    """Staff's desk: the backlog across members, requests, slots, attendance and documents to publish."""
    return web.desk()


@pages.post("/gestion/rendez-vous/<string:appointment_id>/presence")
@web.SCHEDULERS
def record_outcome(appointment_id: str):
    values = {"status": request.form.get("status", "").strip()[:20]}
    try:
        use_cases.record_outcome(portal(), appointment_id, values["status"])
    except NotFound:
        abort(404)
    except AppointmentRejected as exc:
        return web.refused(
            f"presence-{appointment_id}",
            web.onto_fields(exc.errors, ("status",)),
            values,
            "La présence n'a pas pu être enregistrée : voyez le message à côté du choix.",
        )
    flash("Présence enregistrée.", "success")
    return redirect("/gestion/rendez-vous")
