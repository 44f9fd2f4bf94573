"""JSON API of credit notes (/api/billing/invoices/<id>/credit-notes)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, staff
from portal_common.api import Blueprint
from portal_common.roles import BILLING_STAFF, EVERY_STAFF_ROLE, INVOICE_READERS
from portal_common.service import portal

from ..invoices import queries as invoices
from ..invoices.rules import InvoiceNotFound
from ..invoices.schemas import InvoiceSchema, InvoiceSummarySchema
from ..web import readable_invoice
from .schemas import CreditNoteCreateSchema
from .use_cases import issue_credit_note

blp = Blueprint("billing_credit_notes_api", __name__, url_prefix="/api/billing", description="Credit notes")


@blp.route("/invoices/<string:invoice_id>/credit-notes")
class InvoiceCreditNotes(MethodView):
    @member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)
    @blp.response(200, InvoiceSummarySchema(many=True))
    def get(self, invoice_id):
        """Credit notes correcting an invoice: staff, or a user of the invoiced company"""
        return [invoices.invoice_as_dict(note) for note in invoices.credit_notes_of(readable_invoice(invoice_id).id)]

    @staff(*BILLING_STAFF)
    @blp.arguments(CreditNoteCreateSchema)
    @blp.response(201, InvoiceSchema)
    def post(self, data, invoice_id):
        """Correct an invoice with a credit note, set off against what is still due on it (billing or
        administration staff); publishes billing.credit_note.issued.v1"""
        try:
            note = issue_credit_note(
                portal(),
                invoice_id,
                label=data["label"],
                amount_excl_tax=data["amount_excl_tax"],
                cancel_all=data["cancel_all"],
            )
        except InvoiceNotFound:
            abort(404, message="Facture introuvable.")
        return invoices.invoice_as_dict(invoices.get_invoice(note.id), with_lines=True)
