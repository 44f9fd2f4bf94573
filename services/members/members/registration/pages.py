"""Staff's member registry: the list, the registration form, the welcome letter and a new n° télédéclarant."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import staff
from portal_common.roles import EVERY_STAFF_ROLE, OFFICE_STAFF
from portal_common.service import portal

from ..record import queries as record_queries
from ..web import FORM_ERRORS, actor, pdf_response, staff_member
from . import letters
from .rules import Registration, RegistrationRejected
from .use_cases import declarant_code, register_member, renew_declarant_code

pages = Blueprint("members_registration_pages", __name__)

FORM_FIELDS = (
    "name",
    "siret",
    "naf_code",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "email",
    "phone",
    "billing_email",
    "adhesion_date",
)


@pages.get("/gestion/adherents")
@staff(*EVERY_STAFF_ROLE)
def registry():
    return _registry_page(dict.fromkeys(FORM_FIELDS, ""), {})


@pages.post("/gestion/adherents")
@staff(*OFFICE_STAFF)
def register():
    errors: dict[str, str] = {}
    values = {name: request.form.get(name, "").strip() for name in FORM_FIELDS}
    try:
        adhesion = date.fromisoformat(values["adhesion_date"]) if values["adhesion_date"] else None
    except ValueError:
        adhesion = None
    try:
        created = register_member(
            portal(),
            Registration(**{k: v for k, v in values.items() if k != "adhesion_date"}, adhesion_date=adhesion),
            actor=actor(),
        )
    except RegistrationRejected as exc:
        errors.update(exc.errors)
        status = exc.status  # 409 when the SIRET is already a member's (a double submission)
    else:
        flash(
            f"Adhérent {created.name} enregistré sous le n° {created.member_number}. Imprimez sa lettre de "
            "bienvenue (code adhérent et n° télédéclarant) et envoyez-la-lui.",
            "success",
        )
        return redirect(f"/gestion/adherents/{created.id}")
    flash(FORM_ERRORS, "error")
    return _registry_page(values, errors, status)


def _registry_page(values: dict[str, str], errors: dict[str, str], status: int = 422):  # type: ignore[no-untyped-def]
    query = request.args.get("q", "").strip()[:100]
    return render_template(
        "members/registry.html",
        members=record_queries.list_members(query or None),
        query=query,
        errors=errors,
        values=values,
        pending_count=len(record_queries.pending_requests()),
        page_title="Gestion des adhérents",
    ), status if errors else 200


@pages.get("/gestion/adherents/<string:member_id>/lettre-bienvenue")
@staff(*OFFICE_STAFF)
def welcome_letter(member_id: str):
    """The welcome letter with the code adhérent and the n° télédéclarant (staff print it and post it)."""
    record = staff_member(member_id)
    code = declarant_code(portal(), record)
    if code is None:
        abort(404)
    settings = portal().settings
    content = letters.welcome_letter(
        letters.WelcomeLetter(
            service_name=settings.sepa_creditor_name,
            company_name=record.name,
            address_lines=tuple(
                x for x in (record.address_line1, record.address_line2, f"{record.postal_code} {record.city}") if x
            ),
            member_number=record.member_number,
            declarant_code=code,
            adhesion_date=record.adhesion_date,
            portal_url=settings.public_url,
        )
    )
    return pdf_response(content, f"lettre-bienvenue-{record.member_number}.pdf")


@pages.post("/gestion/adherents/<string:member_id>/nouveau-code")
@staff(*OFFICE_STAFF)
def renew_code(member_id: str):
    """A new n° télédéclarant when the letter is lost: the old one stops working."""
    staff_member(member_id)
    renew_declarant_code(portal(), member_id, actor())
    flash(
        "Un nouveau n° télédéclarant a été attribué : imprimez la nouvelle lettre de bienvenue et envoyez-la "
        "à l'adhérent. L'ancien n'est plus valable.",
        "success",
    )
    return redirect(f"/gestion/adherents/{member_id}")
