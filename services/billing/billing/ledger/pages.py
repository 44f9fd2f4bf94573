"""Staff actions on a member's account from an invoice's page: set the member's credit off against the
invoice, or refund (part of) it: recorded as done, or by SEPA transfer in the next pain.001 file."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request

from portal_common.access import require_principal, staff
from portal_common.formats import money_fr
from portal_common.roles import BILLING_STAFF
from portal_common.service import portal

from ..refunds.rules import TransferRejected
from ..refunds.use_cases import request_transfer
from ..web import french_decimal, staff_invoice_page, visible_invoice
from .rules import RefundRejected
from .use_cases import apply_credit, refund_credit

ledger_pages = Blueprint("billing_ledger_pages", __name__)


@ledger_pages.post("/gestion/factures/<string:invoice_id>/imputation")
@staff(*BILLING_STAFF)
def offset(invoice_id: str):
    invoice = visible_invoice(invoice_id)
    try:
        amount = apply_credit(portal(), invoice.id, by=require_principal().user_id)
    except RefundRejected as exc:
        flash(exc.errors["amount"], "error")
        return staff_invoice_page(invoice, {}, {}, 409)
    flash(f"Crédit de {money_fr(amount)} imputé sur la facture {invoice.number}.", "success")
    return redirect(f"/gestion/factures/{invoice.id}")


@ledger_pages.post("/gestion/factures/<string:invoice_id>/remboursement")
@staff(*BILLING_STAFF)
def refund(invoice_id: str):
    invoice = visible_invoice(invoice_id)
    values = {
        "refund_amount": request.form.get("refund_amount", "").strip()[:20],
        "refund_method": "virement" if request.form.get("refund_method") == "virement" else "enregistre",
    }
    amount = french_decimal(values["refund_amount"])
    if amount is None:
        errors = {"refund_amount": "Saisissez un montant (exemple : 116,82)."}
    elif values["refund_method"] == "virement":
        # Waits for the next pain.001 file: the entry is booked when the transfer goes into it.
        try:
            request_transfer(portal(), invoice.member_id, amount, by=require_principal().user_id)
        except TransferRejected as exc:
            errors = {"refund_amount": exc.errors["amount"]}
        else:
            flash(
                f"Remboursement de {money_fr(amount)} par virement demandé : il partira dans le prochain fichier.",
                "success",
            )
            return redirect(f"/gestion/factures/{invoice.id}")
    else:
        try:
            refund_credit(portal(), invoice.member_id, amount, by=require_principal().user_id)
        except RefundRejected as exc:
            errors = {"refund_amount": exc.errors["amount"]}
        else:
            flash(f"Remboursement de {money_fr(amount)} enregistré au compte de l'adhérent.", "success")
            return redirect(f"/gestion/factures/{invoice.id}")
    flash("Le remboursement n'a pas été enregistré : corrigez les champs signalés.", "error")
    return staff_invoice_page(invoice, values, errors, 422)
