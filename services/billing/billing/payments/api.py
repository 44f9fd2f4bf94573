"""JSON API of payments (/api/billing/invoices/<id>/payments)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.api import Blueprint
from portal_common.roles import BILLING_STAFF, EVERY_STAFF_ROLE, INVOICE_READERS
from portal_common.service import portal

from ..invoices.rules import InvoiceNotFound
from ..web import readable_invoice
from . import queries
from .rules import PaymentInput
from .schemas import PaymentCreateSchema, PaymentSchema
from .use_cases import record_payment

blp = Blueprint("billing_payments_api", __name__, url_prefix="/api/billing", description="Payments")


@blp.route("/invoices/<string:invoice_id>/payments")
class InvoicePayments(MethodView):
    @member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)
    @blp.response(200, PaymentSchema(many=True))
    def get(self, invoice_id):
        """Payments received for an invoice: staff, or a user of the invoiced company"""
        return [queries.payment_as_dict(p) for p in queries.payments_of(readable_invoice(invoice_id).id)]

    @staff(*BILLING_STAFF)
    @blp.arguments(PaymentCreateSchema)
    @blp.response(201, PaymentSchema)
    def post(self, data, invoice_id):
        """Record a transfer or a cheque (billing or administration staff), never above what is due (422 with the amount allowed)"""
        try:
            payment = record_payment(portal(), invoice_id, PaymentInput(**data), by=require_principal().user_id)
        except InvoiceNotFound:
            abort(404, message="Facture introuvable.")
        return queries.payment_as_dict(payment)
