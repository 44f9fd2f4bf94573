"""Pages of the members service: the company record and staff's member registry."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import AUTHENTICATED, member, require_principal, staff
from portal_common.service import portal

from . import services, views
from .domain import Registration, RegistrationRejected

pages = Blueprint("members_pages", __name__, template_folder="templates")


@pages.get("/")
@AUTHENTICATED
def home():
    """The portal's front door: the company record, staff's registry, or the company chooser."""
    principal = require_principal()
    if principal.member_id:
        return redirect("/adherent")
    if principal.is_staff:
        return redirect("/gestion/adherents")
    return redirect("/changer-adherent")


@pages.get("/adherent")
@member()
def member_record():
    principal = require_principal()
    record = views.get_member(principal.member_id)
    if record is None:
        abort(404)
    return render_template("members/record.html", member=record, page_title="Mon entreprise")


FORM_FIELDS = ("name", "siret", "naf_code", "address_line1", "address_line2", "postal_code", "city",
               "email", "phone", "billing_email", "adhesion_date")


@pages.route("/gestion/adherents", methods=["GET", "POST"])
@staff()
def registry():
    principal = require_principal()
    errors: dict[str, str] = {}
    values = {name: request.form.get(name, "").strip() for name in FORM_FIELDS}
    if request.method == "POST":
        if not principal.staff_roles & {"secretariat", "administration"}:
            abort(403)
        try:
            adhesion = date.fromisoformat(values["adhesion_date"]) if values["adhesion_date"] else None
        except ValueError:
            adhesion = None
        try:
            created = services.register_member(portal(), Registration(
                **{k: v for k, v in values.items() if k != "adhesion_date"}, adhesion_date=adhesion))
        except RegistrationRejected as exc:
            errors.update(exc.errors)
        else:
            flash(f"Adhérent {created.name} enregistré sous le n° {created.member_number}.", "success")
            return redirect("/gestion/adherents")
        if errors:
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
    query = request.args.get("q", "").strip()[:100]
    status = 422 if errors else 200
    return render_template("members/registry.html", members=views.list_members(query or None), query=query,
                           errors=errors, values=values, page_title="Gestion des adhérents"), status
