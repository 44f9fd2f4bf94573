"""Pages of the visit requests: the employer asks for a visit, or withdraws a request not yet placed."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.clock import today
from portal_common.service import portal

from .. import web
from ..appointments.rules import VISIT_TYPES, CancellationRefused, NotFound
from ..directory.queries import company_employees
from . import use_cases
from .rules import MEDICAL_WARNING, PREFERRED_TIMES, REQUESTABLE_TYPES, PreferredTime, RequestCommand, RequestRejected

pages = Blueprint("scheduling_requests", __name__)

REQUEST_FIELDS = (
    "employee_id",
    "visit_type",
    "return_date",
    "preferred_from",
    "preferred_to",
    "preferred_time",
    "constraints",
    "comment",
)


def _optional_date(raw: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Date invalide (jj/mm/aaaa)."
        return None


@pages.route("/rendez-vous/demande", methods=["GET", "POST"])
@web.REQUESTERS
def new_request():
    """'Demander un rendez-vous' for an employee of the current company (from the list of employees too)."""
    principal, chooser = web.member_id_or_chooser()
    if chooser:
        return chooser
    values = {name: request.form.get(name, "").strip() for name in REQUEST_FIELDS}
    errors: dict[str, str] = {}
    if request.method == "GET":
        values["employee_id"] = request.args.get("salarie", "").strip()[:36]
        values["visit_type"] = request.args.get("type", "").strip()[:20]
    else:
        dates = {
            name: _optional_date(values[name], name, errors)
            for name in ("return_date", "preferred_from", "preferred_to")
        }
        if not errors:
            command = RequestCommand(
                member_id=principal.member_id,
                employee_id=values["employee_id"][:36],
                visit_type=values["visit_type"][:20],
                **dates,
                preferred_time=values["preferred_time"] or PreferredTime.INDIFFERENT,
                constraints=values["constraints"],
                comment=values["comment"],
            )
            try:
                use_cases.request_visit(portal(), command, today=today())
            except RequestRejected as exc:
                errors.update(exc.errors)
            else:
                flash(
                    "Votre demande de rendez-vous est enregistrée : le service vous enverra la convocation.", "success"
                )
                return redirect("/rendez-vous")
        flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
    employees = [e for e in company_employees(principal.member_id) if e.exit_date is None]
    return render_template(
        "scheduling/request.html",
        values=values,
        errors=errors,
        employees=employees,
        visit_types={code: VISIT_TYPES[code] for code in REQUESTABLE_TYPES},
        preferred_times=PREFERRED_TIMES,
        medical_warning=MEDICAL_WARNING,
        reprise_days=portal().settings.reprise_days,
        page_title="Demander un rendez-vous",
    ), 422 if errors else 200


@pages.post("/rendez-vous/demandes/<string:request_id>/retrait")
@web.REQUESTERS
def withdraw(request_id: str):
    return web.employer_action(
        lambda member_id: use_cases.withdraw_request(portal(), request_id, member_id=member_id),
        "request_id",
        "La demande est retirée.",
    )


@pages.post("/gestion/rendez-vous/demandes/<string:request_id>/cloture")
@web.SCHEDULERS
def close(request_id: str):
    """Staff close or refuse a request not yet placed, with the reason the employer reads."""
    values = {"reason": request.form.get("reason", "")[:300]}
    try:
        use_cases.close_request(portal(), request_id, values["reason"])
    except NotFound:
        abort(404)
    except (RequestRejected, CancellationRefused) as exc:
        return web.refused(
            f"close-{request_id}",
            web.onto_fields(exc.errors, ("reason",)),
            values,
            "La demande n'a pas pu être clôturée : voyez le message à côté du motif.",
        )
    flash("La demande est clôturée ; l'adhérent voit le motif.", "success")
    return redirect("/gestion/rendez-vous")
