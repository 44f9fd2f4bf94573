"""Pages of the scheduling service: the company's visits (employer) and the scheduling desk (staff)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.clock import utcnow
from portal_common.formats import PARIS
from portal_common.service import portal

from . import ical, services, views
from .domain import (DOCUMENT_KINDS, MAX_DOCUMENT_BYTES, OUTCOME_STATUSES, PLACE_NAME_MAX, PROFESSIONAL_KINDS,
                     PUBLISHABLE_KINDS, STATUSES, VISIT_TYPES, WHEN_PAST, WHEN_UPCOMING, AppointmentRejected, Place,
                     PlacementRejected, SlotCommand)
from .obligations import URGENCY_BADGES
from .visit_requests import MEDICAL_WARNING, PREFERRED_TIMES, REQUESTABLE_TYPES, RequestCommand, RequestRejected

pages = Blueprint("scheduling_pages", __name__, template_folder="templates")

# Employer users who organise visits, or staff acting for the current company.
REQUESTERS = member_or_staff(member_roles=("admin", "convocation"), staff_roles=("secretariat", "administration"))
SCHEDULERS = staff("secretariat", "administration")
# The employer's page shows what falls due within this horizon (overdue included).
EMPLOYER_HORIZON_DAYS = 365
# Staff's backlog: overdue and due within this many days.
BACKLOG_HORIZON_DAYS = 90


def _today() -> date:
    return utcnow().astimezone(PARIS).date()


def _member_id_or_chooser():
    principal = require_principal()
    if not principal.member_id:  # staff who have not picked a company yet
        return principal, redirect("/changer-adherent")
    return principal, None


@pages.get("/rendez-vous")
@member_or_staff()
def appointments():
    """'Mes rendez-vous': visits due, requests, upcoming and past visits of the current company."""
    principal, chooser = _member_id_or_chooser()
    if chooser:
        return chooser
    selected = request.args.get("salarie", "").strip()[:36]
    now, today = utcnow(), _today()
    member_id, employee_id = principal.member_id, selected or None
    upcoming = views.list_appointments(member_id=member_id, when=WHEN_UPCOMING, now=now, employee_id=employee_id)
    past = views.list_appointments(member_id=member_id, when=WHEN_PAST, now=now, employee_id=employee_id)
    horizon = today + timedelta(days=EMPLOYER_HORIZON_DAYS)
    obligation_rows = views.list_obligations(member_id=member_id, due_before=horizon, employee_id=employee_id)
    planned = views.planned_visits(o.employee_id for o, _ in obligation_rows)
    obligations = [views.obligation_as_dict(o, e, today=today, planned=planned) for o, e in obligation_rows]
    requests = views.list_requests(member_id=member_id, open_only=True, employee_id=employee_id)
    limits = {a.id: services.visit_cancellation_limit(portal(), a) for a, _ in upcoming}
    documents = views.documents_by_appointment(a.id for a, _ in upcoming + past)
    can_request = principal.is_staff or principal.has_member_role("admin", "convocation")
    return render_template(
        "scheduling/appointments.html", upcoming=upcoming, past=past, obligations=obligations, requests=requests,
        limits=limits, documents=documents, today=today, horizon=horizon, can_request=can_request,
        employees=views.company_employees(member_id), selected=selected, visit_types=VISIT_TYPES,
        statuses=STATUSES, badges=views.STATUS_BADGES, urgency_badges=URGENCY_BADGES,
        requestable=REQUESTABLE_TYPES, company=views.get_member(member_id), page_title="Mes rendez-vous")


REQUEST_FIELDS = ("employee_id", "visit_type", "return_date", "preferred_from", "preferred_to", "preferred_time",
                  "constraints", "comment")


def _optional_date(raw: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Date invalide (jj/mm/aaaa)."
        return None


@pages.route("/rendez-vous/demande", methods=["GET", "POST"])
@REQUESTERS
def new_request():
    """'Demander un rendez-vous' for an employee of the current company (from the list of employees too)."""
    principal, chooser = _member_id_or_chooser()
    if chooser:
        return chooser
    values = {name: request.form.get(name, "").strip() for name in REQUEST_FIELDS}
    errors: dict[str, str] = {}
    if request.method == "GET":
        values["employee_id"] = request.args.get("salarie", "").strip()[:36]
        values["visit_type"] = request.args.get("type", "").strip()[:20]
    else:
        dates = {name: _optional_date(values[name], name, errors)
                 for name in ("return_date", "preferred_from", "preferred_to")}
        if not errors:
            command = RequestCommand(member_id=principal.member_id, employee_id=values["employee_id"][:36],
                                     visit_type=values["visit_type"][:20], **dates,
                                     preferred_time=values["preferred_time"] or "indifferent",
                                     constraints=values["constraints"], comment=values["comment"])
            try:
                services.request_visit(portal(), command, today=_today())
            except RequestRejected as exc:
                errors.update(exc.errors)
            else:
                flash("Votre demande de rendez-vous est enregistrée : le service vous enverra la convocation.",
                      "success")
                return redirect("/rendez-vous")
        flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
    employees = [e for e in views.company_employees(principal.member_id) if e.exit_date is None]
    return render_template("scheduling/request.html", values=values, errors=errors, employees=employees,
                           visit_types={code: VISIT_TYPES[code] for code in REQUESTABLE_TYPES},
                           preferred_times=PREFERRED_TIMES, medical_warning=MEDICAL_WARNING,
                           reprise_days=portal().settings.reprise_days,
                           page_title="Demander un rendez-vous"), 422 if errors else 200


def _employer_action(action, error_field: str, done: str):
    """Run a cancellation or a withdrawal for the current company and report it on 'Mes rendez-vous'."""
    principal, chooser = _member_id_or_chooser()
    if chooser:
        return chooser
    try:
        # Staff acting for a company go through the employer's rules here (the limit applies).
        action(principal.member_id)
    except services.NotFound:
        abort(404)
    except services.CancellationRefused as exc:
        flash(exc.errors[error_field], "error")
    else:
        flash(done, "success")
    return redirect("/rendez-vous")


@pages.post("/rendez-vous/<string:appointment_id>/annulation")
@REQUESTERS
def cancel(appointment_id: str):
    return _employer_action(
        lambda member_id: services.cancel_appointment(portal(), appointment_id, member_id=member_id, today=_today()),
        "appointment_id", "Le rendez-vous est annulé.")


@pages.post("/rendez-vous/demandes/<string:request_id>/retrait")
@REQUESTERS
def withdraw(request_id: str):
    return _employer_action(lambda member_id: services.withdraw_request(portal(), request_id, member_id=member_id),
                            "request_id", "La demande est retirée.")


@pages.get("/rendez-vous/agenda.ics")
@member_or_staff()
def calendar_export():
    """The company's upcoming visits as an iCalendar file."""
    principal, chooser = _member_id_or_chooser()
    if chooser:
        return chooser
    now = utcnow()
    rows = views.list_appointments(member_id=principal.member_id, when=WHEN_UPCOMING, now=now)
    events = [{"uid": f"{a.id}@rendez-vous.portail", "starts_at": a.starts_at, "duration_minutes": a.duration_minutes,
               "summary": f"{VISIT_TYPES[a.visit_type]} — {e.last_name} {e.first_names}" if e
               else VISIT_TYPES[a.visit_type],
               "location": f"{a.place_name}, {a.place_address}", "sequence": a.version}
              for a, e in rows if a.status in {"planifiee", "convoquee"}]
    body = ical.calendar(events, now=now, name="Rendez-vous santé au travail")
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="rendez-vous.ics"', "Cache-Control": "no-store"})


@pages.get("/rendez-vous/documents/<string:document_id>")
@member_or_staff()
def document(document_id: str):
    """A convocation, attestation or avis as PDF: to staff, or to a user of the document's company."""
    principal = require_principal()
    found = views.get_document(document_id)
    if found is None or (not principal.is_staff and found.member_id != principal.member_id):
        abort(404)
    return Response(found.content, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{found.kind}-{found.issued_on.isoformat()}.pdf"',
        "Cache-Control": "private, no-store"})


# --- Staff ---------------------------------------------------------------------------------------------------
#
# The desk holds one form per row (placing, attendance, document) besides the slot form. A refused form
# re-renders the desk with 422, its messages next to its fields and what was typed kept, as the request form
# does; `failed_form` names which form: "slot", "o-<obligation>", "r-<request>", "presence-<appointment>" or
# "document-<appointment>".


def _desk(*, failed_form: str | None = None, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None, summary: str = "", status: int = 200):
    now, today = utcnow(), _today()
    backlog_rows = views.list_obligations(member_id=None, due_before=today + timedelta(days=BACKLOG_HORIZON_DAYS),
                                          limit=200)
    planned = views.planned_visits(o.employee_id for o, _ in backlog_rows)
    backlog = [views.obligation_as_dict(o, e, today=today, planned=planned) | {"exit_date": e.exit_date}
               for o, e in backlog_rows]
    backlog = [b for b in backlog if not b["planned"]]
    requests = views.list_requests(member_id=None, open_only=True)
    to_record, to_document = views.visits_to_record(now=now), views.realised_without_document()
    errors = errors or {}
    if failed_form is not None:
        shown = ({"slot"} | {f"o-{b['id']}" for b in backlog} | {f"r-{r.id}" for r, _ in requests}
                 | {f"presence-{a.id}" for a, _ in to_record} | {f"document-{a.id}" for a, _ in to_document})
        if failed_form in shown:
            flash(summary, "error")
        else:
            # The row has left the lists since the page was shown (placed, recomputed…): no field to stand by.
            flash(" ".join(errors.values()), "error")
            failed_form, errors = None, {}
    return render_template(
        "scheduling/desk.html", backlog=backlog, requests=requests, slots=views.list_slots(now=now),
        to_record=to_record, to_document=to_document, failed_form=failed_form, errors=errors,
        values=values or {}, visit_types=VISIT_TYPES, professional_kinds=PROFESSIONAL_KINDS,
        outcome_statuses={code: STATUSES[code] for code in sorted(OUTCOME_STATUSES)},
        document_kinds={code: DOCUMENT_KINDS[code] for code in PUBLISHABLE_KINDS}, urgency_badges=URGENCY_BADGES,
        preferred_times=PREFERRED_TIMES,
        page_title="Gestion des rendez-vous"), status


def _refused(failed_form: str, errors: dict[str, str], values: dict[str, str], summary: str):
    return _desk(failed_form=failed_form, errors=errors, values=values, summary=summary, status=422)


def _onto_fields(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """Messages about the row itself (its visit, its employee) are shown by the form's first field."""
    mapped = {name: errors[name] for name in fields if name in errors}
    others = [message for name, message in errors.items() if name not in fields]
    if others:
        mapped[fields[0]] = " ".join(filter(None, [mapped.get(fields[0]), *others]))
    return mapped


@pages.get("/gestion/rendez-vous")
@staff()
def desk():
    """Staff's desk: the backlog across members, requests, slots, attendance and documents to publish."""
    return _desk()


SLOT_FIELDS = ("centre_name", "centre_address", "professional_kind", "professional_name", "day", "time",
               "duration_minutes", "capacity")


def _slot_start(values: dict[str, str], errors: dict[str, str]) -> datetime | None:
    try:
        day = date.fromisoformat(values["day"])
    except ValueError:
        errors["day"] = "Date invalide (jj/mm/aaaa)." if values["day"] else "Indiquez le jour du créneau."
    try:
        at = time.fromisoformat(values["time"])
    except ValueError:
        errors["time"] = "Heure invalide (hh:mm)." if values["time"] else "Indiquez l'heure du créneau."
    if "day" in errors or "time" in errors:
        return None
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=PARIS)


def _slot_form_errors(errors: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """The rules speak of the centre and of the start; the form has one field for each of their parts."""
    mapped = dict(errors)
    if "centre" in mapped:
        # The rules check the centre's name before its address: a valid name means the address is at fault.
        name = values["centre_name"]
        mapped["centre_name" if not name or len(name) > PLACE_NAME_MAX else "centre_address"] = mapped.pop("centre")
    if "starts_at" in mapped:
        mapped["day"] = mapped.pop("starts_at")
    return mapped


@pages.post("/gestion/rendez-vous/creneaux")
@SCHEDULERS
def create_slot():
    values = {name: request.form.get(name, "").strip() for name in SLOT_FIELDS}
    errors: dict[str, str] = {}
    starts_at = _slot_start(values, errors)
    numbers = {}
    for name in ("duration_minutes", "capacity"):
        try:
            numbers[name] = int(values[name])
        except ValueError:
            errors[name] = "Nombre entier attendu."
    if not errors and starts_at is not None:
        try:
            services.create_slot(portal(), SlotCommand(
                centre=Place(values["centre_name"], values["centre_address"]),
                professional_kind=values["professional_kind"], professional_name=values["professional_name"],
                starts_at=starts_at, **numbers))
        except AppointmentRejected as exc:
            errors.update(_slot_form_errors(exc.errors, values))
        else:
            flash("Créneau ouvert.", "success")
            return redirect("/gestion/rendez-vous")
    return _refused("slot", errors, values, "Le créneau n'a pas pu être ouvert : corrigez les champs signalés.")


PLACEMENT_FIELDS = ("slot_id", "request_id", "obligation_id")
PLACEMENT_REFUSED = "Le rendez-vous n'a pas pu être convoqué : voyez le message sous le créneau."


@pages.post("/gestion/rendez-vous/placement")
@SCHEDULERS
def place():
    values = {name: request.form.get(name, "").strip()[:36] for name in PLACEMENT_FIELDS}
    failed_form = f"r-{values['request_id']}" if values["request_id"] else f"o-{values['obligation_id']}"
    if not values["slot_id"]:
        return _refused(failed_form, {"slot_id": "Choisissez un créneau."}, values, PLACEMENT_REFUSED)
    try:
        _appointment, mailed = services.place_in_slot(portal(), values["slot_id"],
                                                      request_id=values["request_id"] or None,
                                                      obligation_id=values["obligation_id"] or None)
    except services.NotFound:
        return _refused(failed_form, {"slot_id": "Ce créneau ou cette visite n'existe plus : rechargez la page."},
                        values, PLACEMENT_REFUSED)
    except PlacementRejected as exc:
        # The slot is the form's only field: what concerns the visit or the employee is said there too.
        return _refused(failed_form, _onto_fields(exc.errors, ("slot_id",)), values, PLACEMENT_REFUSED)
    flash("Rendez-vous convoqué : la convocation est envoyée au contact de l'entreprise." if mailed else
          "Rendez-vous convoqué. Aucun e-mail de convocation n'est connu pour cet adhérent : "
          "transmettez la convocation (PDF) autrement.", "success" if mailed else "info")
    return redirect("/gestion/rendez-vous")


@pages.post("/gestion/rendez-vous/<string:appointment_id>/presence")
@SCHEDULERS
def record_outcome(appointment_id: str):
    values = {"status": request.form.get("status", "").strip()[:20]}
    try:
        services.record_outcome(portal(), appointment_id, values["status"])
    except services.NotFound:
        abort(404)
    except AppointmentRejected as exc:
        return _refused(f"presence-{appointment_id}", _onto_fields(exc.errors, ("status",)), values,
                        "La présence n'a pas pu être enregistrée : voyez le message à côté du choix.")
    flash("Présence enregistrée.", "success")
    return redirect("/gestion/rendez-vous")


@pages.post("/gestion/rendez-vous/<string:appointment_id>/document")
@SCHEDULERS
def publish_document(appointment_id: str):
    values = {"kind": request.form.get("kind", "").strip()[:30]}
    upload = request.files.get("file")
    content = upload.read(MAX_DOCUMENT_BYTES + 1) if upload else b""
    try:
        services.publish_document(portal(), appointment_id, values["kind"], content)
    except services.NotFound:
        abort(404)
    except AppointmentRejected as exc:
        # A browser never sends a file back: the staff member picks it again, the type stays chosen.
        return _refused(f"document-{appointment_id}", _onto_fields(exc.errors, ("kind", "file")), values,
                        "Le document n'a pas pu être publié : corrigez les champs signalés.")
    flash("Document publié : l'employeur le voit dans ses rendez-vous et son espace documentaire.", "success")
    return redirect("/gestion/rendez-vous")
