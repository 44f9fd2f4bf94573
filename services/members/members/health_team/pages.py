"""Staff assign each company its health team (centre, médecin, secrétaire, préventeur, IDEST) and manage the
centres; the member sees them on its record page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import staff
from portal_common.errors import FieldErrors
from portal_common.roles import EVERY_STAFF_ROLE, OFFICE_STAFF
from portal_common.service import portal
from portal_common.web.conflicts import STALE_FORM, changed_fields, form_version

from ..models import Centre, HealthTeam
from ..record.fields import phone_fr
from ..record.rules import NotFound, StaleVersion
from ..web import FORM_ERRORS, actor, staff_member
from . import queries
from .rules import CENTRE_FIELDS, TEAM_FIELDS, TEAM_LABELS
from .use_cases import assign_team, save_centre

pages = Blueprint("members_team_pages", __name__)


CENTRE_LABELS = {
    "name": "Nom du centre",
    "line1": "Adresse",
    "line2": "Complément",
    "postal_code": "Code postal",
    "city": "Commune",
    "phone": "Téléphone",
    "email": "E-mail",
}


def render_centres(*, values=None, errors=None, centre=None, status=200, differences=None, version=None):
    return render_template(
        "members/centres.html",
        centres=[queries.centre_as_dict(c) for c in queries.centres()],
        values=values or {},
        errors=errors or {},
        centre=centre,
        version=version if version is not None else (centre.version if centre is not None else None),
        differences=differences or [],
        page_title="Modifier le centre" if centre else "Centres du service",
    ), status


@pages.get("/gestion/adherents/centres")
@staff(*EVERY_STAFF_ROLE)
def centres():
    return render_centres()


@pages.post("/gestion/adherents/centres")
@staff(*OFFICE_STAFF)
def centre_create():
    values = {name: request.form.get(name, "").strip() for name in CENTRE_FIELDS}
    try:
        save_centre(portal(), None, values)
    except FieldErrors as exc:
        flash(FORM_ERRORS, "error")
        return render_centres(values=values, errors=exc.errors, status=422)
    flash(f"Centre « {values['name']} » enregistré.", "success")
    return redirect("/gestion/adherents/centres")


def found_centre(centre_id: str) -> Centre:
    centre = queries.get_centre(centre_id)
    if centre is None:
        abort(404)
    return centre


@pages.get("/gestion/adherents/centres/<string:centre_id>")
@staff(*EVERY_STAFF_ROLE)
def centre_edit(centre_id: str):
    centre = found_centre(centre_id)
    return render_centres(values=centre_form_values(centre), centre=centre)


def centre_form_values(centre: Centre) -> dict[str, str]:
    values = {name: getattr(centre, name) or "" for name in CENTRE_FIELDS}
    values["phone"] = phone_fr(centre.phone)
    return values


@pages.post("/gestion/adherents/centres/<string:centre_id>")
@staff(*OFFICE_STAFF)
def centre_update(centre_id: str):
    centre = found_centre(centre_id)
    values = {name: request.form.get(name, "").strip() for name in CENTRE_FIELDS}
    try:
        save_centre(portal(), centre.id, values, expected_version=form_version(request.form))
    except NotFound:
        abort(404)
    except StaleVersion:  # someone saved meanwhile: theirs beside what was typed, which stays in the form
        portal().db.session.refresh(centre)
        flash(STALE_FORM, "error")
        differences = changed_fields(centre_form_values(centre), values, CENTRE_LABELS)
        return render_centres(
            values=values, errors={"version": STALE_FORM}, centre=centre, status=409, differences=differences
        )
    except FieldErrors as exc:
        flash(FORM_ERRORS, "error")
        return render_centres(values=values, errors=exc.errors, centre=centre, status=422)
    flash("Centre modifié : les adhérents qu'il suit en sont informés.", "success")
    return redirect("/gestion/adherents/centres")


def render_team(record, *, values, errors=None, status=200, differences=None):
    options = {c.id: c.name for c in queries.centres()}
    team = portal().db.session.get(HealthTeam, record.id)
    return render_template(
        "members/team.html",
        member=record,
        values=values,
        errors=errors or {},
        version=team.version if team is not None else 0,
        differences=differences or [],
        centre_options=options,
        labels=TEAM_LABELS,
        page_title=f"Équipe santé — {record.name}",
    ), status


@pages.get("/gestion/adherents/<string:member_id>/equipe")
@staff(*EVERY_STAFF_ROLE)
def team(member_id: str):
    record = staff_member(member_id)
    return render_team(record, values=team_form_values(record.id))


def team_form_values(member_id: str) -> dict[str, str]:
    current = queries.health_team(member_id)
    values = {name: current.get(name) or "" for name in TEAM_FIELDS if name != "centre_id"}
    values["centre_id"] = current["centre"]["id"] if current["centre"] else ""
    values["secretary_phone"] = phone_fr(current["secretary_phone"])
    return values


@pages.post("/gestion/adherents/<string:member_id>/equipe")
@staff(*OFFICE_STAFF)
def team_update(member_id: str):
    record = staff_member(member_id)
    values = {name: request.form.get(name, "").strip() for name in TEAM_FIELDS}
    try:
        assign_team(portal(), record.id, values, actor(), expected_version=form_version(request.form))
    except StaleVersion:  # another member of staff saved meanwhile: theirs beside what was typed
        portal().db.session.expire_all()
        flash(STALE_FORM, "error")
        centres = {c.id: c.name for c in queries.centres()}

        def shown(form: dict[str, str]) -> dict[str, str]:
            return dict(form, centre_id=centres.get(form.get("centre_id") or "", ""))

        differences = changed_fields(shown(team_form_values(record.id)), shown(values), TEAM_LABELS)
        return render_team(record, values=values, errors={"version": STALE_FORM}, status=409, differences=differences)
    except FieldErrors as exc:
        flash(FORM_ERRORS, "error")
        return render_team(record, values=values, errors=exc.errors, status=422)
    flash("Équipe santé enregistrée.", "success")
    return redirect(f"/gestion/adherents/{record.id}")
