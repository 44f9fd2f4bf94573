"""Member pages for the company's addresses and contacts; each change is a request."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import member
from portal_common.errors import FieldErrors
from portal_common.formats import date_fr
from portal_common.roles import MemberRole
from portal_common.service import portal
from portal_common.web.conflicts import STALE_FORM, changed_fields, form_version

from ..models import Address, Contact
from ..record import queries as record_queries
from ..record.fields import phone_fr
from ..record.rules import ChangeAction, ChangeKind, ChangeStatus, NotFound, StaleVersion
from ..record.use_cases.snapshots import address_values, contact_values
from ..web import FORM_ERRORS, actor, current_member, with_lines
from . import queries
from .rules import ADDRESS_KINDS, CONTACT_KINDS
from .use_cases import ENTRY_MODELS
from .use_cases import change_entry as change_entry_use_case

pages = Blueprint("members_entry_pages", __name__)


@dataclass(frozen=True)
class Section:
    kind: str
    model: type
    title: str
    singular: str
    kinds: dict[str, str]
    fields: tuple[tuple[str, str, str, bool], ...]  # name, label, input type, required
    values_of: object
    # The list's heading, agreed in gender: « Adresses enregistrées », « Contacts enregistrés ».
    listed: str


SECTIONS = {
    "adresses": Section(
        ChangeKind.ADDRESS,
        Address,
        "Adresses",
        "une adresse",
        ADDRESS_KINDS,
        (
            ("line1", "Adresse", "text", True),
            ("line2", "Complément d'adresse", "text", False),
            ("postal_code", "Code postal", "text", True),
            ("city", "Commune", "text", True),
            ("valid_from", "Valide à partir du", "date", False),
            ("valid_to", "Valide jusqu'au", "date", False),
        ),
        address_values,
        "Adresses enregistrées",
    ),
    "contacts": Section(
        ChangeKind.CONTACT,
        Contact,
        "Contacts",
        "un contact",
        CONTACT_KINDS,
        (
            ("name", "Nom et prénom", "text", True),
            ("function", "Fonction", "text", False),
            ("email", "E-mail", "email", False),
            ("phone", "Téléphone", "tel", False),
            ("mobile", "Portable", "tel", False),
        ),
        contact_values,
        "Contacts enregistrés",
    ),
}
SECTION_PATH = "<any(adresses, contacts):section>"


def submitted(section: Section) -> dict[str, str]:
    names = ["kind", *(name for name, *_ in section.fields)]
    return {name: request.form.get(name, "").strip() for name in names}


def flash_outcome(change) -> None:
    if change.status == ChangeStatus.APPLIED:
        flash("Modification enregistrée.", "success")
    else:
        flash("Votre demande a été transmise au service : elle sera appliquée après validation.", "info")


def shown_values(section: Section, values: dict) -> dict[str, str]:
    """An entry's values as the page shows them (type label, French dates and phone numbers)."""
    _model, check, _values_of = ENTRY_MODELS[ChangeKind(section.kind)]
    try:
        values = check(values)  # what was typed, normalised as it would be stored
    except FieldErrors:
        pass
    shown = {"kind": section.kinds.get(values.get("kind") or "", values.get("kind") or "")}
    for name, _label, kind, _required in section.fields:
        value = values.get(name) or ""
        shown[name] = date_fr(value) if kind == "date" and value else phone_fr(value) if kind == "tel" else value
    return shown


def stale_entry(section: Section, entry, typed: dict[str, str]) -> tuple[list[dict], int]:
    """Someone saved this entry meanwhile: its values beside what the user typed, and its new version."""
    portal().db.session.refresh(entry)
    labels = {"kind": "Type", **{name: label for name, label, *_ in section.fields}}
    current = shown_values(section, section.values_of(entry))
    return changed_fields(current, shown_values(section, typed), labels), entry.version


def change_entry(section_name: str, action: str, *, target_id: str | None = None):
    """Run one change through a request; (values, errors, status) when the form must be shown again."""
    section = SECTIONS[section_name]
    record = current_member()
    values = submitted(section) if action != ChangeAction.DELETE else {}
    expected = form_version(request.form) if action != ChangeAction.CREATE else None
    try:
        change = change_entry_use_case(
            portal(),
            record.id,
            section.kind,
            action,
            actor(),
            target_id=target_id,
            data=values,
            expected_version=expected,
        )
    except NotFound:
        abort(404)
    except StaleVersion:
        flash(STALE_FORM, "error")
        return values, {"version": STALE_FORM}, 409
    except FieldErrors as exc:
        flash(FORM_ERRORS, "error")
        return values, exc.errors, exc.status
    flash_outcome(change)
    return None, {}, 200


def render_section(
    section_name: str, *, values=None, errors=None, entry=None, status=200, differences=None, version=None
):
    section = SECTIONS[section_name]
    record = current_member()
    entries = queries.addresses_of(record.id) if section.kind == ChangeKind.ADDRESS else queries.contacts_of(record.id)
    pending = [r for r in record_queries.requests_of(record.id, pending_only=True) if r.kind == section.kind]
    return render_template(
        "members/entries.html",
        section=section,
        section_name=section_name,
        entries=entries,
        values=values or {},
        errors=errors or {},
        entry=entry,
        version=version if version is not None else (entry.version if entry is not None else None),
        differences=differences or [],
        pending=with_lines(pending),
        labels=record_queries.labels(),
        page_title=section.title,
    ), status


@pages.route(f"/adherent/{SECTION_PATH}", methods=["GET", "POST"])
@member(MemberRole.ADMIN)
def entries(section: str):
    if request.method == "POST":
        values, errors, status = change_entry(section, ChangeAction.CREATE)
        if errors:
            return render_section(section, values=values, errors=errors, status=status)
        return redirect(f"/adherent/{section}")
    return render_section(section)


@pages.route(f"/adherent/{SECTION_PATH}/<string:entry_id>", methods=["GET", "POST"])
@member(MemberRole.ADMIN)
def entry(section: str, entry_id: str):
    config = SECTIONS[section]
    found = queries.entry_of(config.model, current_member().id, entry_id)
    if found is None:
        abort(404)
    if request.method == "POST":
        values, errors, status = change_entry(section, ChangeAction.UPDATE, target_id=entry_id)
        if "version" in errors:  # what the user typed stays in the form, with the version now saved
            differences, version = stale_entry(config, found, values)
            return render_section(
                section,
                values=values,
                errors=errors,
                entry=found,
                status=409,
                differences=differences,
                version=version,
            )
        if errors:
            return render_section(
                section, values=values, errors=errors, entry=found, status=status, version=form_version(request.form)
            )
        return redirect(f"/adherent/{section}")
    values = {
        name: (phone_fr(value) if name in {"phone", "mobile"} else value or "")
        for name, value in config.values_of(found).items()
    }
    return render_section(section, values=values, entry=found)


@pages.post(f"/adherent/{SECTION_PATH}/<string:entry_id>/supprimer")
@member(MemberRole.ADMIN)
def entry_delete(section: str, entry_id: str):
    _values, errors, _status = change_entry(section, ChangeAction.DELETE, target_id=entry_id)
    for name, message in errors.items():
        if name != "version":  # a stale removal was flashed where it was refused
            flash(message, "error")
    return redirect(f"/adherent/{section}")
