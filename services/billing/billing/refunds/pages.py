"""Staff page of refunds by SEPA credit transfer: the transfers waiting, building the pain.001 file, and
downloading a file again. Asking for a transfer is done from an invoice's page (ledger pages)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, render_template, request

from portal_common.access import require_principal, staff
from portal_common.clock import today
from portal_common.roles import BILLING_STAFF
from portal_common.service import portal

from ..web import built_bank_file, kept_bank_file
from .queries import latest_batches, latest_transfers
from .rules import TRANSFER_STATUS_LABELS, RefundBatchError
from .use_cases import batch_file, export_transfers

refund_pages = Blueprint("billing_refund_pages", __name__)

REFUNDS_PATH = "/gestion/factures/remboursements"


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    return render_template(
        "billing/refunds.html",
        transfers=latest_transfers(),
        batches=latest_batches(),
        labels=TRANSFER_STATUS_LABELS,
        values=values,
        errors=errors,
        page_title="Remboursements par virement",
    ), status


# Billing staff only, page included: it lists who is owed what; the files carry the payees' IBANs.
@refund_pages.get(REFUNDS_PATH)
@staff(*BILLING_STAFF)
def transfers():
    return _page({"execution_date": today().isoformat()}, {})


@refund_pages.post(f"{REFUNDS_PATH}/lots")
@staff(*BILLING_STAFF)
def export():
    values = {"execution_date": request.form.get("execution_date", "").strip()[:10]}
    try:
        execution_date = date.fromisoformat(values["execution_date"])
    except ValueError:
        errors = {"execution_date": "Saisissez la date d'exécution des virements (JJ/MM/AAAA)."}
    else:
        errors = {"execution_date": "La date d'exécution ne peut pas être passée."} if execution_date < today() else {}
    if errors:
        flash("Le fichier n'a pas été généré : corrigez les champs signalés.", "error")
        return _page(values, errors, 422)
    return built_bank_file(
        lambda: export_transfers(portal(), execution_date=execution_date, by=require_principal().user_id),
        RefundBatchError,
        lambda status: _page(values, {}, status),
    )


@refund_pages.get(f"{REFUNDS_PATH}/lots/<string:batch_id>/fichier")
@staff(*BILLING_STAFF)
def download(batch_id: str):
    return kept_bank_file(batch_file, batch_id, lambda status: _page({}, {}, status))
