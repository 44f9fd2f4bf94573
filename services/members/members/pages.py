"""Pages of the company record: the record, its edit form, its history, and staff's member registry."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import AUTHENTICATED, member, require_principal, staff
from portal_common.clock import utcnow
from portal_common.errors import FieldErrors
from portal_common.service import portal
from portal_common.validators import siren_of, vat_number_for

from . import identity_links, letters, services, views
from .domain import (MEMBER_FIELDS, RECORD_FIELDS, STAFF_ONLY_FIELDS, STAFF_ONLY_MESSAGE, RecordRejected,
                     Registration, RegistrationRejected, phone_fr)
from .models import Member
from .establishments import RELATION_LABELS, establishment_rows
from .naf import naf_label
from .services import Actor

pages = Blueprint("members_pages", __name__, template_folder="templates")
pages.add_app_template_filter(phone_fr, "phone_fr")
pages.add_app_template_filter(naf_label, "naf_label")

# Rejections stay on the record page for a month, so the member reads the reason.
REJECTIONS_SHOWN_FOR = timedelta(days=31)


def with_lines(requests: list) -> list[tuple[Any, list[dict[str, str]]]]:
    return [(r, views.request_lines(r)) for r in requests]


def current_member() -> Member:
    principal = require_principal()
    record = views.get_member(principal.member_id) if principal.member_id else None
    if record is None:
        abort(404)
    return record


def staff_member(member_id: str) -> Member:
    record = views.get_member(member_id)
    if record is None:
        abort(404)
    return record


def render_record(record: Member, *, staff_view: bool):
    principal = require_principal()
    requests = views.requests_of(record.id)
    since = utcnow() - REJECTIONS_SHOWN_FOR
    return render_template(
        "members/record.html", member=record, labels=views.labels(), staff_view=staff_view,
        addresses=views.addresses_of(record.id), contacts=views.contacts_of(record.id),
        pending=with_lines([r for r in requests if r.status == "pending"]),
        rejected=with_lines([r for r in requests if r.status == "rejected" and r.decided_at >= since]),
        history=with_lines(requests) if staff_view else None, mandate=views.current_mandate(record.id),
        team=views.health_team(record.id), establishments=views.same_siren(record) if staff_view else None,
        can_edit=staff_view or principal.has_member_role("admin"),
        can_manage_codes=bool(principal.staff_roles & {"secretariat", "administration"}),
        page_title=record.name if staff_view else "Mon entreprise")


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
    return render_record(current_member(), staff_view=False)


def record_form_values(record: Member, fields: tuple[str, ...]) -> dict[str, str]:
    """The form as first shown: phones French style, the VAT number proposed from the SIREN."""
    values = {}
    for name in fields:
        value = getattr(record, name)
        values[name] = phone_fr(value) if name in {"phone", "mobile", "fax"} else (value or "")
    values["adhesion_date"] = record.adhesion_date.isoformat()
    if not record.vat_number:
        values["vat_number"] = vat_number_for(siren_of(record.siret))
    return values


def edit_record(record: Member, *, fields: tuple[str, ...], back: str, staff_view: bool):
    errors: dict[str, str] = {}
    values = record_form_values(record, fields)
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in fields}
        proposed: dict[str, Any] = dict(values)
        if "adhesion_date" in proposed:
            try:
                proposed["adhesion_date"] = date.fromisoformat(values["adhesion_date"])
            except ValueError:
                proposed["adhesion_date"] = None
        try:
            # The member's form has no staff-only field: one posted is a crafted form, refused whole.
            refused = {name: STAFF_ONLY_MESSAGE for name in STAFF_ONLY_FIELDS if name in request.form}
            if refused and not staff_view:
                raise RecordRejected(refused)
            created = services.change_record(portal(), record.id, proposed, Actor.of(require_principal()))
        except FieldErrors as exc:
            errors = exc.errors
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
        else:
            if not created:
                flash("Aucune modification n'a été faite.", "info")
            for change in created:
                flash("Modification enregistrée." if change.status == "applied" else
                      "Votre demande de modification a été transmise au service : elle sera appliquée après "
                      "validation.", "success" if change.status == "applied" else "info")
            return redirect(back)
    return render_template("members/edit.html", member=record, values=values, errors=errors, fields=fields,
                           labels=views.labels(), staff_only=() if staff_view else STAFF_ONLY_FIELDS, back=back,
                           staff_view=staff_view, page_title="Modifier la fiche adhérent"), 422 if errors else 200


@pages.route("/adherent/modifier", methods=["GET", "POST"])
@member("admin")
def member_edit():
    return edit_record(current_member(), fields=MEMBER_FIELDS, back="/adherent", staff_view=False)


@pages.get("/adherent/historique")
@member("admin")
def member_history():
    record = current_member()
    return render_template("members/history.html", member=record, rows=with_lines(views.requests_of(record.id)),
                           labels=views.labels(), page_title="Historique des modifications")


@pages.get("/gestion/adherents/<string:member_id>")
@staff()
def staff_record(member_id: str):
    return render_record(staff_member(member_id), staff_view=True)


@pages.route("/gestion/adherents/<string:member_id>/modifier", methods=["GET", "POST"])
@staff()
def staff_edit(member_id: str):
    return edit_record(staff_member(member_id), fields=RECORD_FIELDS, back=f"/gestion/adherents/{member_id}",
                       staff_view=True)


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
                **{k: v for k, v in values.items() if k != "adhesion_date"}, adhesion_date=adhesion),
                actor=Actor.of(principal))
        except RegistrationRejected as exc:
            errors.update(exc.errors)
        else:
            flash(f"Adhérent {created.name} enregistré sous le n° {created.member_number}. Imprimez sa lettre de "
                  "bienvenue (code adhérent et n° télédéclarant) et envoyez-la-lui.", "success")
            return redirect(f"/gestion/adherents/{created.id}")
        if errors:
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
    query = request.args.get("q", "").strip()[:100]
    status = 422 if errors else 200
    return render_template("members/registry.html", members=views.list_members(query or None), query=query,
                           errors=errors, values=values, pending_count=len(views.pending_requests()),
                           page_title="Gestion des adhérents"), status


def _pdf(content: bytes, filename: str):
    from flask import Response
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@pages.get("/gestion/adherents/<string:member_id>/lettre-bienvenue")
@staff("secretariat", "administration")
def welcome_letter(member_id: str):
    """The welcome letter with the code adhérent and the n° télédéclarant (staff print it and post it)."""
    record = staff_member(member_id)
    code = services.declarant_code(portal(), record)
    if code is None:
        abort(404)
    settings = portal().settings
    content = letters.welcome_letter(letters.WelcomeLetter(
        service_name=settings.sepa_creditor_name, company_name=record.name,
        address_lines=tuple(x for x in (record.address_line1, record.address_line2,
                                        f"{record.postal_code} {record.city}") if x),
        member_number=record.member_number, declarant_code=code, adhesion_date=record.adhesion_date,
        portal_url=settings.public_url))
    return _pdf(content, f"lettre-bienvenue-{record.member_number}.pdf")


@pages.post("/gestion/adherents/<string:member_id>/nouveau-code")
@staff("secretariat", "administration")
def renew_code(member_id: str):
    """A new n° télédéclarant when the letter is lost: the old one stops working."""
    staff_member(member_id)
    services.renew_declarant_code(portal(), member_id, Actor.of(require_principal()))
    flash("Un nouveau n° télédéclarant a été attribué : imprimez la nouvelle lettre de bienvenue et envoyez-la "
          "à l'adhérent. L'ancien n'est plus valable.", "success")
    return redirect(f"/gestion/adherents/{member_id}")


def mandate_document(record: Member, mandate) -> bytes:
    settings = portal().settings
    status = {"active": "actif", "pending": "en attente de validation", "revoked": "révoqué",
              "rejected": "refusé"}.get(mandate.status, mandate.status)
    return letters.mandate_pdf(letters.MandateDocument(
        creditor_name=settings.sepa_creditor_name, creditor_id=settings.sepa_creditor_id,
        reference=mandate.reference, debtor_name=record.name,
        debtor_address=tuple(x for x in (record.address_line1, record.address_line2,
                                         f"{record.postal_code} {record.city}") if x),
        holder=mandate.holder, iban_masked=mandate.iban_masked, bic=mandate.bic, signed_on=mandate.signed_on,
        status_label=status, revoked_on=mandate.revoked_on))


@pages.get("/adherent/prelevement/mandat.pdf")
@member("admin", "billing")
def mandate_pdf():
    """The company's current mandate (active or pending) as a PDF, the IBAN masked."""
    record = current_member()
    mandate = views.current_mandate(record.id)
    if mandate is None:
        abort(404)
    return _pdf(mandate_document(record, mandate), f"mandat-sepa-{mandate.reference}.pdf")


@pages.get("/gestion/adherents/<string:member_id>/mandat.pdf")
@staff()
def staff_mandate_pdf(member_id: str):
    record = staff_member(member_id)
    mandate = views.current_mandate(record.id)
    if mandate is None:
        abort(404)
    return _pdf(mandate_document(record, mandate), f"mandat-sepa-{mandate.reference}.pdf")


def establishments_of(record: Member) -> tuple[list, bool]:
    """(rows, whether identity answered) for the current user, from the current company."""
    principal = require_principal()
    links = identity_links.member_links(portal(), principal.user_id)
    linked = views.members_by_id([link["member_id"] for link in links or []])
    return establishment_rows(record, views.same_siren(record), linked, links), links is not None


@pages.get("/adherent/etablissements")
@member()
def establishments():
    """Head office: its establishments; accounting firm: its clients — one list, a switch button each."""
    record = current_member()
    rows, complete = establishments_of(record)
    return render_template("members/establishments.html", member=record, rows=rows, complete=complete,
                           relations=RELATION_LABELS, statuses=views.labels()["member_statuses"],
                           page_title="Mes établissements et entreprises")
