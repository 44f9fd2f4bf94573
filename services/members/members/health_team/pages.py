"""Staff assign each company its health team (centre, médecin, secrétaire, préventeur, IDEST) and manage the
centres; the member sees them on its record page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import staff
from portal_common.errors import FieldErrors
from portal_common.roles import EVERY_STAFF_ROLE, OFFICE_STAFF
from portal_common.service import portal

from ..models import Centre
from ..record.fields import phone_fr
from ..record.rules import NotFound
from ..web import FORM_ERRORS, actor, staff_member
from . import queries
from .rules import CENTRE_FIELDS, TEAM_FIELDS, TEAM_LABELS
from .use_cases import assign_team, save_centre

pages = Blueprint("members_team_pages", __name__)


def render_centres(*, values=None, errors=None, centre=None, status=200):
    return render_template(
        "members/centres.html",
        centres=[queries.centre_as_dict(c) for c in queries.centres()],
        values=values or {},
        errors=errors or {},
        centre=centre,
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
    values = {name: getattr(centre, name) or "" for name in CENTRE_FIELDS}
    values["phone"] = phone_fr(centre.phone)
    return render_centres(values=values, centre=centre)


@pages.post("/gestion/adherents/centres/<string:centre_id>")
@staff(*OFFICE_STAFF)
def centre_update(centre_id: str):
    centre = found_centre(centre_id)
    values = {name: request.form.get(name, "").strip() for name in CENTRE_FIELDS}
    try:
        save_centre(portal(), centre.id, values)
    except NotFound:
        abort(404)
    except FieldErrors as exc:
        flash(FORM_ERRORS, "error")
        return render_centres(values=values, errors=exc.errors, centre=centre, status=422)
    flash("Centre modifié : les adhérents qu'il suit en sont informés.", "success")
    return redirect("/gestion/adherents/centres")


def render_team(record, *, values, errors=None, status=200):
    options = {c.id: c.name for c in queries.centres()}
    return render_template(
        "members/team.html",
        member=record,
        values=values,
        errors=errors or {},
        centre_options=options,
        labels=TEAM_LABELS,
        page_title=f"Équipe santé — {record.name}",
    ), status


@pages.get("/gestion/adherents/<string:member_id>/equipe")
@staff(*EVERY_STAFF_ROLE)
def team(member_id: str):
    record = staff_member(member_id)
    current = queries.health_team(record.id)
    values = {name: current.get(name) or "" for name in TEAM_FIELDS if name != "centre_id"}
    values["centre_id"] = current["centre"]["id"] if current["centre"] else ""
    values["secretary_phone"] = phone_fr(current["secretary_phone"])
    return render_team(record, values=values)


@pages.post("/gestion/adherents/<string:member_id>/equipe")
@staff(*OFFICE_STAFF)
def team_update(member_id: str):
    record = staff_member(member_id)
    values = {name: request.form.get(name, "").strip() for name in TEAM_FIELDS}
    try:
        assign_team(portal(), record.id, values, actor())
    except FieldErrors as exc:
        flash(FORM_ERRORS, "error")
        return render_team(record, values=values, errors=exc.errors, status=422)
    flash("Équipe santé enregistrée.", "success")
    return redirect(f"/gestion/adherents/{record.id}")
