"""The staff form issuing a credit note on an invoice (on the staff page of the invoice)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request

from portal_common.access import staff
from portal_common.formats import money_fr
from portal_common.roles import BILLING_STAFF
from portal_common.service import portal

from ..web import french_decimal, staff_invoice_page, visible_invoice
from .rules import CreditNoteRejected
from .use_cases import issue_credit_note

credit_note_pages = Blueprint("billing_credit_note_pages", __name__)

# Credit note rule fields → the names of the form's fields on the staff invoice page.
CREDIT_FORM_FIELDS = {
    "label": "credit_label",
    "amount_excl_tax": "credit_amount",
    "invoice": "credit_invoice",
    "cancel_all": "cancel_all",
}


@credit_note_pages.post("/gestion/factures/<string:invoice_id>/avoirs")
@staff(*BILLING_STAFF)
def staff_issue_credit_note(invoice_id: str):
    invoice = visible_invoice(invoice_id)
    values = {
        "credit_label": request.form.get("credit_label", "").strip()[:200],
        "credit_amount": request.form.get("credit_amount", "").strip()[:30],
        "cancel_all": "1" if request.form.get("cancel_all") else "",
    }
    errors: dict[str, str] = {}
    amount = french_decimal(values["credit_amount"]) if values["credit_amount"] else None
    if values["credit_amount"] and amount is None:
        errors["credit_amount"] = "Saisissez un montant (exemple : 97,35)."
    if not errors:
        try:
            note = issue_credit_note(
                portal(),
                invoice.id,
                label=values["credit_label"],
                amount_excl_tax=amount,
                cancel_all=bool(values["cancel_all"]),
            )
        except CreditNoteRejected as exc:
            errors = {CREDIT_FORM_FIELDS.get(name, name): message for name, message in exc.errors.items()}
        else:
            flash(
                f"Avoir {note.number} de {money_fr(note.amount_incl_tax)} émis sur la facture {invoice.number}.",
                "success",
            )
            return redirect(f"/gestion/factures/{invoice.id}")
    flash("L'avoir n'a pas été émis : corrigez les champs signalés.", "error")
    return staff_invoice_page(invoice, values, errors, 422)
