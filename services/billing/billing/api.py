"""JSON API of the billing service (/api/billing/)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.api import Blueprint
from portal_common.passport import Principal
from portal_common.service import portal

from . import services, views
from .domain import CREDIT_NOTE, InvoiceRejected, IssueCommand, LineInput
from .payments import PaymentInput, PaymentRejected
from .credit_notes import CreditNoteRejected
from .schemas import (CampaignProgressSchema, CreditNoteCreateSchema, InvoiceCreateSchema, InvoiceListArgsSchema, InvoiceSchema, InvoiceSummarySchema,
                      PaymentCreateSchema, PaymentSchema, TariffInputSchema, TariffSchema)
from .tariffs import Tariff, TariffRejected

blp = Blueprint("billing_api", __name__, url_prefix="/api/billing", description="Invoices and credit notes")

# Member users need the billing or read role (admin holds every role); any staff may read.
READERS = member_or_staff(member_roles=("billing", "read"))
# Billing or administration staff set tariffs and record payments; any staff may read.
BILLING_STAFF = staff("billing", "administration")


def member_scope(principal: Principal, requested: str | None) -> str | None:
    """Whose invoices a caller sees: member users only their current company, staff whomever they ask."""
    if not principal.is_staff:
        return principal.member_id
    return requested or principal.member_id


@blp.route("/invoices")
class Invoices(MethodView):
    @READERS
    @blp.arguments(InvoiceListArgsSchema, location="query")
    @blp.response(200, InvoiceSummarySchema(many=True))
    @blp.paginate(page_size=100, max_page_size=500)
    def get(self, args, pagination_parameters):
        """Invoices of the current company, newest first (staff: of `member_id`, or all)"""
        scope = member_scope(require_principal(), args["member_id"])
        filters = {"year": args["year"], "status": args["status"]}
        pagination_parameters.item_count = views.count_invoices(scope, **filters)
        if pagination_parameters.first_item >= pagination_parameters.item_count:
            return []  # past the last page; also keeps absurd page numbers away from the database
        found = views.list_invoices(scope, **filters, offset=pagination_parameters.first_item,
                                    limit=pagination_parameters.page_size)
        return [views.invoice_as_dict(invoice) for invoice in found]

    @BILLING_STAFF
    @blp.arguments(InvoiceCreateSchema)
    @blp.response(201, InvoiceSchema)
    def post(self, data):
        """Issue an invoice or a credit note (staff); publishes billing.invoice.issued.v1"""
        lines = tuple(LineInput(**line) for line in data.pop("lines"))
        if data["kind"] == CREDIT_NOTE:
            abort(422, message="Validation failed.", errors={"json": {"kind": (
                "Un avoir s'émet sur la facture qu'il corrige (POST /api/billing/invoices/<id>/credit-notes).")}})
        try:
            invoice = services.issue_invoice(portal(), IssueCommand(**data, lines=lines))
        except InvoiceRejected as exc:
            abort(422, message="Validation failed.", errors={"json": exc.errors})
        return views.invoice_as_dict(invoice, with_lines=True)


@blp.route("/invoices/<string:invoice_id>")
class InvoiceById(MethodView):
    @READERS
    @blp.response(200, InvoiceSchema)
    def get(self, invoice_id):
        """One invoice with its lines and schedule: staff, or a user of the invoiced company"""
        return views.invoice_as_dict(readable_invoice(invoice_id), with_lines=True)


def readable_invoice(invoice_id: str):
    invoice = views.visible_invoice(require_principal(), invoice_id)
    if invoice is None:
        abort(404, message="Invoice not found.")
    return invoice


@blp.route("/invoices/<string:invoice_id>/payments")
class InvoicePayments(MethodView):
    @READERS
    @blp.response(200, PaymentSchema(many=True))
    def get(self, invoice_id):
        """Payments received for an invoice: staff, or a user of the invoiced company"""
        return [views.payment_as_dict(p) for p in views.payments_of(readable_invoice(invoice_id).id)]

    @BILLING_STAFF
    @blp.arguments(PaymentCreateSchema)
    @blp.response(201, PaymentSchema)
    def post(self, data, invoice_id):
        """Record a transfer or a cheque (billing or administration staff); an overpayment is kept as credit"""
        try:
            payment = services.record_payment(portal(), invoice_id, PaymentInput(**data),
                                              by=require_principal().user_id)
        except services.InvoiceNotFound:
            abort(404, message="Invoice not found.")
        except PaymentRejected as exc:
            abort(422, message="Validation failed.", errors={"json": exc.errors})
        return views.payment_as_dict(payment)


@blp.route("/tariffs")
class Tariffs(MethodView):
    @staff()
    @blp.response(200, TariffSchema(many=True))
    def get(self):
        """Every configured year's tariff, newest first (staff)"""
        return [views.tariff_as_dict(row) for row in views.list_tariffs()]


@blp.route("/tariffs/<int(min=2000, max=2100):year>")
class TariffByYear(MethodView):
    @staff()
    @blp.response(200, TariffSchema)
    def get(self, year):
        """The tariff of one year (staff)"""
        row = views.get_tariff(year)
        if row is None:
            abort(404, message="No tariff for this year.")
        return views.tariff_as_dict(row)

    @BILLING_STAFF
    @blp.arguments(TariffInputSchema)
    @blp.response(200, TariffSchema)
    def put(self, data, year):
        """Create or replace a year's tariff; a per-capita fee outside the legal band is refused (422)"""
        try:
            services.save_tariff(portal(), Tariff(year=year, **data), by=require_principal().user_id)
        except TariffRejected as exc:
            abort(422, message="Validation failed.", errors={"json": exc.errors})
        return views.tariff_as_dict(views.get_tariff(year))


@blp.route("/invoices/<string:invoice_id>/credit-notes")
class InvoiceCreditNotes(MethodView):
    @READERS
    @blp.response(200, InvoiceSummarySchema(many=True))
    def get(self, invoice_id):
        """Credit notes correcting an invoice: staff, or a user of the invoiced company"""
        return [views.invoice_as_dict(note) for note in views.credit_notes_of(readable_invoice(invoice_id).id)]

    @BILLING_STAFF
    @blp.arguments(CreditNoteCreateSchema)
    @blp.response(201, InvoiceSchema)
    def post(self, data, invoice_id):
        """Correct an invoice with a credit note, set off against what is still due on it (billing or
        administration staff); publishes billing.credit_note.issued.v1"""
        try:
            note = services.issue_credit_note(portal(), invoice_id, label=data["label"],
                                              amount_excl_tax=data["amount_excl_tax"], cancel_all=data["cancel_all"])
        except services.InvoiceNotFound:
            abort(404, message="Invoice not found.")
        except CreditNoteRejected as exc:
            abort(422, message="Validation failed.", errors={"json": exc.errors})
        return views.invoice_as_dict(views.get_invoice(note.id), with_lines=True)


@blp.route("/campaigns/<int(min=2000, max=2100):year>/progress")
class CampaignProgress(MethodView):
    @staff()
    @blp.response(200, CampaignProgressSchema)
    def get(self, year):
        """Live counts of a year's declaration campaign: received, invoiced, pending, estimated (staff)"""
        return views.campaign_progress(year)
