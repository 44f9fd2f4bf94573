"""Member pages for addresses, contacts, situation changes and the SEPA mandate; each change is a request."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import member, require_principal
from portal_common.errors import FieldErrors
from portal_common.service import portal

from . import services, stepup, views
from .addressbook import ADDRESS_KINDS, CONTACT_KINDS
from .applying import address_values, contact_values
from .documents import MAX_UPLOAD_BYTES
from .domain import phone_fr
from .models import Address, Contact
from .pages import current_member, with_lines
from .services import Actor, NotFound
from .situations import SITUATION_KINDS

entry_pages = Blueprint("members_entry_pages", __name__, template_folder="templates")


@dataclass(frozen=True)
class Section:
    kind: str
    model: type
    title: str
    singular: str
    kinds: dict[str, str]
    fields: tuple[tuple[str, str, str, bool], ...]  # name, label, input type, required
    values_of: object


SECTIONS = {
    "adresses": Section("address", Address, "Adresses", "une adresse", ADDRESS_KINDS, (
        ("line1", "Adresse", "text", True), ("line2", "Complément d'adresse", "text", False),
        ("postal_code", "Code postal", "text", True), ("city", "Commune", "text", True),
        ("valid_from", "Valide à partir du", "date", False), ("valid_to", "Valide jusqu'au", "date", False)),
        address_values),
    "contacts": Section("contact", Contact, "Contacts", "un contact", CONTACT_KINDS, (
        ("name", "Nom et prénom", "text", True), ("function", "Fonction", "text", False),
        ("email", "E-mail", "email", False), ("phone", "Téléphone", "tel", False),
        ("mobile", "Portable", "tel", False)),
        contact_values),
}
SECTION_PATH = "<any(adresses, contacts):section>"


def submitted(section: Section) -> dict[str, str]:
    names = ["kind", *(name for name, *_ in section.fields)]
    return {name: request.form.get(name, "").strip() for name in names}


def flash_outcome(change) -> None:
    if change.status == "applied":
        flash("Modification enregistrée.", "success")
    else:
        flash("Votre demande a été transmise au service : elle sera appliquée après validation.", "info")


def change_entry(section_name: str, action: str, *, target_id: str | None = None):
    """Run one change through a request; (None, errors) when the form must be shown again."""
    section = SECTIONS[section_name]
    record = current_member()
    values = submitted(section) if action != "delete" else {}
    try:
        change = services.change_entry(portal(), record.id, section.kind, action, Actor.of(require_principal()),
                                       target_id=target_id, data=values)
    except NotFound:
        abort(404)
    except FieldErrors as exc:
        flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
        return values, exc.errors
    flash_outcome(change)
    return None, {}


def render_section(section_name: str, *, values=None, errors=None, entry=None, status=200):
    section = SECTIONS[section_name]
    record = current_member()
    entries = views.addresses_of(record.id) if section.kind == "address" else views.contacts_of(record.id)
    pending = [r for r in views.requests_of(record.id, pending_only=True) if r.kind == section.kind]
    return render_template("members/entries.html", section=section, section_name=section_name, entries=entries,
                           values=values or {}, errors=errors or {}, entry=entry, pending=with_lines(pending),
                           labels=views.labels(), page_title=section.title), status


@entry_pages.route(f"/adherent/{SECTION_PATH}", methods=["GET", "POST"])
@member("admin")
def entries(section: str):
    if request.method == "POST":
        values, errors = change_entry(section, "create")
        if errors:
            return render_section(section, values=values, errors=errors, status=422)
        return redirect(f"/adherent/{section}")
    return render_section(section)


@entry_pages.route(f"/adherent/{SECTION_PATH}/<string:entry_id>", methods=["GET", "POST"])
@member("admin")
def entry(section: str, entry_id: str):
    config = SECTIONS[section]
    found = views.entry_of(config.model, current_member().id, entry_id)
    if found is None:
        abort(404)
    if request.method == "POST":
        values, errors = change_entry(section, "update", target_id=entry_id)
        if errors:
            return render_section(section, values=values, errors=errors, entry=found, status=422)
        return redirect(f"/adherent/{section}")
    values = {name: (phone_fr(value) if name in {"phone", "mobile"} else value or "")
              for name, value in config.values_of(found).items()}
    return render_section(section, values=values, entry=found)


@entry_pages.post(f"/adherent/{SECTION_PATH}/<string:entry_id>/supprimer")
@member("admin")
def entry_delete(section: str, entry_id: str):
    _values, errors = change_entry(section, "delete", target_id=entry_id)
    for message in errors.values():
        flash(message, "error")
    return redirect(f"/adherent/{section}")


@entry_pages.route("/adherent/situation", methods=["GET", "POST"])
@member("admin")
def situation():
    record = current_member()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in ("kind", "effective_date", "comment")}
        sent = request.files.get("document")
        attachment = (sent.filename, sent.read(MAX_UPLOAD_BYTES + 1)) if sent and sent.filename else None
        try:
            services.declare_situation(portal(), record.id, values, Actor.of(require_principal()),
                                       attachment=attachment)
        except FieldErrors as exc:
            errors = exc.errors
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
        else:
            flash("Votre déclaration a été transmise au service, qui la traitera.", "info")
            return redirect("/adherent")
    pending = [r for r in views.requests_of(record.id, pending_only=True) if r.kind == "situation"]
    return render_template("members/situation.html", member=record, values=values, errors=errors,
                           kinds=SITUATION_KINDS, pending=with_lines(pending), labels=views.labels(),
                           page_title="Changement de situation"), 422 if errors else 200


# Identity's re-authentication page, which brings the user back to the mandate form once done (issue 3).
STEP_UP_URL = "/compte?reauthentification=/adherent/prelevement"


@entry_pages.route("/adherent/prelevement", methods=["GET", "POST"])
@member("admin", "billing")
def mandate():
    record = current_member()
    principal = require_principal()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    stepped_up = stepup.satisfied(portal().settings, principal)
    if request.method == "POST":
        if not stepped_up:
            flash("Pour signer le mandat, confirmez d'abord votre identité.", "info")
            return redirect(STEP_UP_URL)
        # The IBAN is never sent back into the page, even when the form has errors.
        values = {name: request.form.get(name, "").strip() for name in ("bic", "holder", "email")}
        data = {**values, "iban": request.form.get("iban", ""), "consent": request.form.get("consent")}
        try:
            signed = services.sign_mandate(portal(), record.id, data, Actor.of(principal))
        except FieldErrors as exc:
            errors = exc.errors
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
        else:
            flash(f"Mandat {signed.reference} signé : il sera actif après validation par le service.", "success")
            return redirect("/adherent/prelevement")
    return render_template("members/mandate.html", member=record, mandate=views.current_mandate(record.id),
                           values=values or {"holder": record.name, "email": record.billing_email or ""},
                           errors=errors, settings=portal().settings, stepped_up=stepped_up,
                           step_up_url=STEP_UP_URL, page_title="Prélèvement SEPA"), \
        422 if errors else 200


@entry_pages.post("/adherent/prelevement/revoquer")
@member("admin", "billing")
def mandate_revoke():
    try:
        revoked = services.revoke_mandate(portal(), current_member().id, Actor.of(require_principal()))
    except NotFound:
        abort(404)
    flash(f"Le mandat {revoked.reference} est révoqué : plus aucun prélèvement ne sera effectué.", "success")
    return redirect("/adherent/prelevement")
