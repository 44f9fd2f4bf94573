"""Pages of the appointments: the company's visits (employer), cancelling one, its calendar, staff's desk."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.clock import today, utcnow
from portal_common.roles import EMPLOYEE_READERS, EVERY_STAFF_ROLE, OFFICE_STAFF, VISIT_ORGANISERS
from portal_common.service import portal

from .. import web
from ..directory.queries import company_employees, get_member
from ..documents.queries import documents_by_appointment
from ..obligations.queries import list_obligations, obligation_as_dict, planned_visits
from ..obligations.rules import URGENCY_BADGES
from ..slots.queries import move_targets
from ..slots.rules import MOVE_REASON_MAX, PlacementRejected
from ..slots.use_cases import move_appointment
from ..visit_requests.queries import closed_with_reason, list_requests
from ..visit_requests.rules import REQUESTABLE_TYPES
from . import ical, use_cases
from .queries import (
    STATUS_BADGES,
    get_appointment,
    left_employees,
    list_appointments,
    outcome_corrections,
    visit_day,
)
from .rules import (
    CANCELLATION_REASONS,
    CANCELLATION_TEXT_MAX,
    CORRECTION_REASON_MAX,
    EMPLOYER_CANCELLATION_REASONS,
    OPEN_STATUSES,
    OUTCOME_STATUSES,
    PROFESSIONAL_KINDS,
    STAFF_CANCELLATION_REASONS,
    STATUSES,
    VISIT_TYPES,
    AppointmentRejected,
    CancellationRefused,
    NotFound,
    When,
    cancellation_proposed,
    cancellation_reason_label,
)

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
    # Workforce reported the employee out: a cue on the visit, and for the employer a proposal to cancel it.
    left = left_employees(upcoming)
    proposals = {
        a.id for a, _ in upcoming if cancellation_proposed(a.status, a.visit_type, left.get(a.id), visit_day(a))
    }
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
        left=left,
        proposals=proposals,
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
        cancellation_label=cancellation_reason_label,
        company=get_member(member_id),
        page_title="Mes rendez-vous",
    )


CANCELLATION_FIELDS = ("reason_code", "reason_text")


def _cancellation_values() -> dict[str, str]:
    return {
        "reason_code": request.form.get("reason_code", "").strip()[:30],
        "reason_text": request.form.get("reason_text", "")[: CANCELLATION_TEXT_MAX * 2],
    }


def _read_version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return 0  # never a stored version: answered as "changed meanwhile, reload"


def _cancel(appointment_id: str, values: dict[str, str], *, member_id: str | None) -> None:
    """The cancellation the employer's and staff's forms ask for (member_id None: staff's rules); 404 for a visit
    not found, CancellationRefused left to the page that shows it."""
    try:
        use_cases.cancel_appointment(
            portal(),
            appointment_id,
            member_id=member_id,
            today=today(),
            reason_code=values["reason_code"],
            reason_text=values["reason_text"],
            read_version=_read_version(),
        )
    except NotFound:
        abort(404)


@pages.get("/rendez-vous/<string:appointment_id>/annulation")
@web.REQUESTERS
def cancel_confirmation(appointment_id: str):
    """The employer confirms the cancellation and says why (AMSN asks for a reason)."""
    return _cancel_page(appointment_id)


@pages.post("/rendez-vous/<string:appointment_id>/annulation")
@web.REQUESTERS
def cancel(appointment_id: str):
    principal, chooser = web.member_id_or_chooser()
    if chooser:
        return chooser
    values = _cancellation_values()
    try:
        # Staff acting for a company go through the employer's rules here (the limit applies).
        _cancel(appointment_id, values, member_id=principal.member_id)
    except CancellationRefused as exc:
        return _cancel_page(appointment_id, errors=exc.errors, values=values, status=exc.status)
    flash("Le rendez-vous est annulé : le motif est transmis au service.", "success")
    return redirect("/rendez-vous")


def _cancel_page(appointment_id: str, *, errors=None, values=None, status=200):
    principal, chooser = web.member_id_or_chooser()
    if chooser:
        return chooser
    row = get_appointment(appointment_id)
    if row is None or row[0].member_id != principal.member_id:
        abort(404)
    visit, employee = row
    return render_template(
        "scheduling/cancel.html",
        visit=visit,
        employee=employee,
        cancellable=visit.status in OPEN_STATUSES and visit.starts_at > utcnow(),
        limit=use_cases.visit_cancellation_limit(portal(), visit),
        today=today(),
        reasons={code: CANCELLATION_REASONS[code] for code in EMPLOYER_CANCELLATION_REASONS},
        text_max=CANCELLATION_TEXT_MAX,
        errors=errors or {},
        values=values or {},
        visit_types=VISIT_TYPES,
        page_title="Annuler un rendez-vous",
    ), status


@pages.post("/gestion/rendez-vous/<string:appointment_id>/annulation")
@web.SCHEDULERS
def staff_cancel(appointment_id: str):
    """Staff cancel a visit from the desk, with a reason the employer reads (no limit for them)."""
    values = _cancellation_values()
    try:
        _cancel(appointment_id, values, member_id=None)
    except CancellationRefused as exc:
        summary = "Le rendez-vous n'a pas été annulé : voyez le message à côté du champ."
        return _refused(appointment_id, "cancel", exc, CANCELLATION_FIELDS, values, summary)
    flash("Rendez-vous annulé : l'adhérent en est informé par e-mail avec le motif.", "success")
    return redirect(f"/gestion/rendez-vous/{appointment_id}")


@pages.post("/gestion/rendez-vous/<string:appointment_id>/deplacement")
@web.SCHEDULERS
def staff_move(appointment_id: str):
    """Staff move a visit to another slot with a reason: a new convocation replaces the old one."""
    values = {
        "slot_id": request.form.get("slot_id", "").strip()[:36],
        "reason": request.form.get("reason", "")[: MOVE_REASON_MAX * 2],
    }
    try:
        move_appointment(
            portal(), appointment_id, values["slot_id"], read_version=_read_version(), reason=values["reason"]
        )
    except NotFound:
        if get_appointment(appointment_id) is None:
            abort(404)
        errors = {"slot_id": "Choisissez un créneau de la liste."}
        return _appointment_page(appointment_id, failed_form="move", errors=errors, values=values, status=422)
    except PlacementRejected as exc:
        summary = "Le rendez-vous n'a pas été déplacé : voyez le message à côté du champ."
        return _refused(appointment_id, "move", exc, MOVE_FIELDS, values, summary)
    flash("Rendez-vous déplacé : la nouvelle convocation est envoyée à l'adhérent.", "success")
    return redirect(f"/gestion/rendez-vous/{appointment_id}")


MOVE_FIELDS = ("slot_id", "reason")


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


@pages.get("/gestion/rendez-vous/<string:appointment_id>")
@staff(*EVERY_STAFF_ROLE)
def appointment(appointment_id: str):
    """One visit for staff: its recorded outcome, the correction form (schedulers) and its history."""
    return _appointment_page(appointment_id)


@pages.post("/gestion/rendez-vous/<string:appointment_id>/correction-presence")
@web.SCHEDULERS
def correct_outcome(appointment_id: str):
    """Staff correct a recorded outcome with a reason; the version they read refuses a correction made meanwhile."""
    values = {
        "status": request.form.get("status", "").strip()[:20],
        "reason": request.form.get("reason", "")[: CORRECTION_REASON_MAX * 2],
    }
    principal = require_principal()
    try:
        use_cases.correct_outcome(
            portal(),
            appointment_id,
            values["status"],
            reason=values["reason"],
            read_version=_read_version(),
            actor=principal.user_id,
            actor_name=principal.display_name,
        )
    except NotFound:
        abort(404)
    except AppointmentRejected as exc:
        # A stale version shows the page as it is now (the other correction in the history), what was typed kept.
        summary = "La présence n'a pas été corrigée : voyez le message à côté du champ."
        return _refused(appointment_id, "correction", exc, ("status", "reason"), values, summary)
    flash("Présence corrigée : la correction figure dans l'historique du rendez-vous.", "success")
    return redirect(f"/gestion/rendez-vous/{appointment_id}")


def _refused(
    appointment_id: str,
    failed_form: str,
    exc: AppointmentRejected | CancellationRefused | PlacementRejected,
    fields: tuple[str, ...],
    values: dict[str, str],
    summary: str,
):
    """A form of the visit's page the rules refused: the page again with the refusal's status, the messages by
    the form's fields and what was typed kept."""
    flash(summary, "error")
    errors = web.onto_fields(exc.errors, fields)
    return _appointment_page(appointment_id, failed_form=failed_form, errors=errors, values=values, status=exc.status)


def _appointment_page(
    appointment_id: str,
    *,
    failed_form: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status=200,
):
    """The visit's page; `failed_form` ("correction", "cancel" or "move") is the form shown with `errors` and the
    `values` typed."""
    row = get_appointment(appointment_id)
    if row is None:
        abort(404)
    visit, employee = row
    principal = require_principal()

    def for_form(form: str, given: dict[str, str] | None) -> dict[str, str]:
        return (given or {}) if form == failed_form else {}

    movable = (
        visit.status in OPEN_STATUSES and visit.starts_at > utcnow() and bool(principal.staff_roles & set(OFFICE_STAFF))
    )
    return render_template(
        "scheduling/appointment.html",
        visit=visit,
        employee=employee,
        left_on=left_employees([row]).get(visit.id),
        corrections=outcome_corrections(visit.id),
        correctable=visit.status in OUTCOME_STATUSES and bool(principal.staff_roles & set(OFFICE_STAFF)),
        outcome_statuses={code: STATUSES[code] for code in sorted(OUTCOME_STATUSES)},
        errors=for_form("correction", errors),
        values=for_form("correction", values),
        statuses=STATUSES,
        badges=STATUS_BADGES,
        visit_types=VISIT_TYPES,
        professional_kinds=PROFESSIONAL_KINDS,
        reason_max=CORRECTION_REASON_MAX,
        cancellable=visit.status in OPEN_STATUSES
        and visit.starts_at > utcnow()
        and bool(principal.staff_roles & set(OFFICE_STAFF)),
        cancel_reasons={code: CANCELLATION_REASONS[code] for code in STAFF_CANCELLATION_REASONS},
        cancel_errors=for_form("cancel", errors),
        cancel_values=for_form("cancel", values),
        cancellation_reason=cancellation_reason_label(visit.cancellation_reason_code, visit.cancellation_reason_text),
        text_max=CANCELLATION_TEXT_MAX,
        move_targets=move_targets(visit, now=utcnow()) if movable else [],
        movable=movable,
        move_errors=for_form("move", errors),
        move_values=for_form("move", values),
        move_reason_max=MOVE_REASON_MAX,
        page_title="Rendez-vous",
    ), status
