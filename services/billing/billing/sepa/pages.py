"""Staff pages of SEPA direct debit: plan and pre-notify the debits, generate the pain.008 file (and download it
again), mark a debit collected once the bank confirms it, record a reject."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request
from sqlalchemy.exc import IntegrityError

from portal_common.access import require_principal, staff
from portal_common.clock import today
from portal_common.roles import BILLING_STAFF, EVERY_STAFF_ROLE
from portal_common.service import portal

from ..web import built_bank_file, kept_bank_file
from .queries import latest_batches, latest_debits
from .rules import DEBIT_STATUS_LABELS, DebitNotCollectable, DebitNotRejectable, DebitStatus, SepaBatchError
from .use_cases.debits import batch_file, collect_debit, create_batch, plan_debits, reject_debit

sepa_pages = Blueprint("billing_sepa_pages", __name__)

SEPA_PATH = "/gestion/factures/prelevements"


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    return render_template(
        "billing/sepa.html",
        debits=latest_debits(),
        batches=latest_batches(),
        today=today(),
        labels=DEBIT_STATUS_LABELS,
        values=values,
        errors=errors,
        prenotice_days=portal().settings.sepa_prenotice_days,
        DebitStatus=DebitStatus,
        page_title="Prélèvements SEPA",
    ), status


@sepa_pages.get(SEPA_PATH)
@staff(*EVERY_STAFF_ROLE)
def debits():
    return _page({}, {})


@sepa_pages.post(f"{SEPA_PATH}/preparer")
@staff(*BILLING_STAFF)  # billing or administration staff act; any staff may look
def plan():
    try:
        planned = plan_debits(portal())
    except IntegrityError:  # a planning that bypassed the lock (another process, an older worker)
        flash("Une préparation est déjà en cours : rechargez la page dans quelques instants.", "error")
        return _page({}, {}, 409)
    flash(
        f"{len(planned)} prélèvement(s) planifié(s) et pré-notifié(s) par courriel."
        if planned
        else "Aucune nouvelle échéance à prélever.",
        "success" if planned else "info",
    )
    return redirect(SEPA_PATH)


@sepa_pages.post(f"{SEPA_PATH}/lots")
@staff(*BILLING_STAFF)
def batch():
    values = {"until": request.form.get("until", "").strip()[:10]}
    try:
        until = date.fromisoformat(values["until"])
    except ValueError:
        flash("Le fichier n'a pas été généré : corrigez les champs signalés.", "error")
        return _page(values, {"until": "Saisissez la date limite des prélèvements (JJ/MM/AAAA)."}, 422)
    return built_bank_file(
        lambda: create_batch(portal(), until=until, by=require_principal().user_id),
        SepaBatchError,
        lambda status: _page(values, {}, status),
    )


@sepa_pages.get(f"{SEPA_PATH}/lots/<string:batch_id>/fichier")
@staff(*BILLING_STAFF)  # the file carries the debtors' IBANs: those who generate it, and no other staff
def download(batch_id: str):
    return kept_bank_file(batch_file, batch_id, lambda status: _page({}, {}, status))


@sepa_pages.post(f"{SEPA_PATH}/<string:debit_id>/encaissement")
@staff(*BILLING_STAFF)
def collect(debit_id: str):
    """Staff mark a debit collected (the bank confirmed it) on or after its collection date; the worker does it
    by itself once the date has passed."""
    try:
        collect_debit(portal(), debit_id, by=require_principal().user_id)
    except LookupError:
        abort(404)
    except DebitNotCollectable as exc:
        flash(str(exc), "error")
        return _page({}, {}, 409)
    flash("Prélèvement encaissé : il est enregistré comme règlement de la facture.", "success")
    return redirect(SEPA_PATH)


@sepa_pages.post(f"{SEPA_PATH}/<string:debit_id>/rejet")
@staff(*BILLING_STAFF)
def reject(debit_id: str):
    """Staff record the bank's reject of a sent debit: the invoice is owed again."""
    try:
        reject_debit(portal(), debit_id, by=require_principal().user_id)
    except LookupError:
        abort(404)
    except DebitNotRejectable as exc:
        flash(str(exc), "error")
        return _page({}, {}, 409)
    flash("Rejet enregistré : la facture est de nouveau à payer.", "success")
    return redirect(SEPA_PATH)
