"""Staff pages of SEPA direct debit: plan and pre-notify the debits, then download the pain.008 file."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request
from sqlalchemy import select

from portal_common.access import require_principal, staff
from portal_common.service import portal

from . import sepa_services
from .models import BillingCustomer, Invoice, SepaDebit
from .sepa import SepaBatchError
from .sepa_services import DEBIT_STATUS_LABELS, MembersUnavailable

sepa_pages = Blueprint("billing_sepa_pages", __name__, template_folder="templates")

SEPA_PATH = "/gestion/factures/prelevements"
# Billing or administration staff act; any staff may look.
BILLING_STAFF = staff("billing", "administration")


def _debits() -> list:
    return list(portal().db.session.execute(
        select(SepaDebit, Invoice.number, BillingCustomer.name)
        .join(Invoice, SepaDebit.invoice_id == Invoice.id)
        .join(BillingCustomer, SepaDebit.member_id == BillingCustomer.member_id)
        .order_by(SepaDebit.collection_date.desc(), Invoice.number).limit(500)).all())


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    return render_template("billing/sepa.html", debits=_debits(), labels=DEBIT_STATUS_LABELS, values=values,
                           errors=errors, prenotice_days=portal().settings.sepa_prenotice_days,
                           page_title="Prélèvements SEPA"), status


@sepa_pages.get(SEPA_PATH)
@staff()
def debits():
    return _page({}, {})


@sepa_pages.post(f"{SEPA_PATH}/preparer")
@BILLING_STAFF
def plan():
    planned = sepa_services.plan_debits(portal())
    flash(f"{len(planned)} prélèvement(s) planifié(s) et pré-notifié(s) par courriel." if planned
          else "Aucune nouvelle échéance à prélever.", "success" if planned else "info")
    return redirect(SEPA_PATH)


@sepa_pages.post(f"{SEPA_PATH}/lots")
@BILLING_STAFF
def batch():
    values = {"until": request.form.get("until", "").strip()[:10]}
    try:
        until = date.fromisoformat(values["until"])
    except ValueError:
        flash("Le fichier n'a pas été généré : corrigez les champs signalés.", "error")
        return _page(values, {"until": "Saisissez la date limite des prélèvements (JJ/MM/AAAA)."}, 422)
    try:
        created, document = sepa_services.create_batch(portal(), until=until, by=require_principal().user_id)
    except SepaBatchError as exc:
        flash(str(exc), "error")
        return _page(values, {}, 422)
    except MembersUnavailable:
        flash("Le service des adhérents ne répond pas : réessayez dans quelques minutes (rien n'a été transmis).",
              "error")
        return _page(values, {}, 503)
    return Response(document, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{created.message_id}.xml"', "Cache-Control": "no-store"})
