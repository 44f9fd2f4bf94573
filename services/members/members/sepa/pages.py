"""Pages of the SEPA mandate: the company signs or revokes it, and downloads it as a PDF (staff too)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import member, require_principal, staff
from portal_common.errors import FieldErrors
from portal_common.roles import EVERY_STAFF_ROLE, INVOICE_PAYERS
from portal_common.service import portal

from ..models import Member, SepaMandate
from ..record.rules import NotFound
from ..web import FORM_ERRORS, actor, current_member, pdf_response, staff_member
from . import queries, stepup
from .clients import sepa_discount
from .mandate_pdf import MandateDocument, mandate_pdf
from .rules import STATUS_LABELS
from .use_cases import revoke_mandate, sign_mandate

pages = Blueprint("members_sepa_pages", __name__)

# Identity's re-authentication page, which brings the user back to the mandate form once done.
STEP_UP_URL = "/compte?reauthentification=/adherent/prelevement"


@pages.route("/adherent/prelevement", methods=["GET", "POST"])
@member(*INVOICE_PAYERS)
def mandate():
    record = current_member()
    principal = require_principal()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    stepped_up = stepup.satisfied(portal().settings, principal)
    if request.method == "POST":
        if not stepped_up:
            flash("Pour signer le mandat, confirmez d'abord votre identité.", "info")
            return redirect(STEP_UP_URL)
        # The IBAN is never sent back into the page, even when the form has errors.
        values = {name: request.form.get(name, "").strip() for name in ("bic", "holder", "email")}
        data = {**values, "iban": request.form.get("iban", ""), "consent": request.form.get("consent")}
        try:
            signed = sign_mandate(portal(), record.id, data, actor())
        except FieldErrors as exc:
            errors, status = exc.errors, exc.status
            flash(FORM_ERRORS, "error")
        else:
            flash(f"Mandat {signed.reference} signé : il sera actif après validation par le service.", "success")
            return redirect("/adherent/prelevement")
    return render_template(
        "members/mandate.html",
        member=record,
        mandate=queries.current_mandate(record.id),
        values=values or {"holder": record.name, "email": record.billing_email or ""},
        errors=errors,
        settings=portal().settings,
        stepped_up=stepped_up,
        step_up_url=STEP_UP_URL,
        discount=sepa_discount(portal(), record.id),
        page_title="Prélèvement SEPA",
    ), status


@pages.post("/adherent/prelevement/revoquer")
@member(*INVOICE_PAYERS)
def mandate_revoke():
    try:
        revoked = revoke_mandate(portal(), current_member().id, actor())
    except NotFound:
        abort(404)
    flash(f"Le mandat {revoked.reference} est révoqué : plus aucun prélèvement ne sera effectué.", "success")
    return redirect("/adherent/prelevement")


def mandate_document(record: Member, mandate: SepaMandate) -> bytes:
    settings = portal().settings
    return mandate_pdf(
        MandateDocument(
            creditor_name=settings.sepa_creditor_name,
            creditor_id=settings.sepa_creditor_id,
            reference=mandate.reference,
            debtor_name=record.name,
            debtor_address=tuple(
                x for x in (record.address_line1, record.address_line2, f"{record.postal_code} {record.city}") if x
            ),
            holder=mandate.holder,
            iban_masked=mandate.iban_masked,
            bic=mandate.bic,
            signed_on=mandate.signed_on,
            status_label=STATUS_LABELS.get(mandate.status, mandate.status),
            revoked_on=mandate.revoked_on,
        )
    )


def send_mandate(record: Member):
    """The company's current mandate (active or pending) as a PDF, the IBAN masked."""
    mandate = queries.current_mandate(record.id)
    if mandate is None:
        abort(404)
    return pdf_response(mandate_document(record, mandate), f"mandat-sepa-{mandate.reference}.pdf")


@pages.get("/adherent/prelevement/mandat.pdf")
@member(*INVOICE_PAYERS)
def mandate_download():
    return send_mandate(current_member())


@pages.get("/gestion/adherents/<string:member_id>/mandat.pdf")
@staff(*EVERY_STAFF_ROLE)
def staff_mandate_pdf(member_id: str):
    return send_mandate(staff_member(member_id))
