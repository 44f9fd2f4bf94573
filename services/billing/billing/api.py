"""JSON API of the billing service (/api/billing/)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.api import Blueprint
from portal_common.passport import Principal
from portal_common.service import portal

from . import services, views
from .domain import InvoiceRejected, IssueCommand, LineInput
from .schemas import InvoiceCreateSchema, InvoiceListArgsSchema, InvoiceSchema, InvoiceSummarySchema

blp = Blueprint("billing_api", __name__, url_prefix="/api/billing", description="Invoices and credit notes")

# Member users need the billing or read role (admin holds every role); any staff may read.
READERS = member_or_staff(member_roles=("billing", "read"))


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

    @staff("billing", "administration")
    @blp.arguments(InvoiceCreateSchema)
    @blp.response(201, InvoiceSchema)
    def post(self, data):
        """Issue an invoice or a credit note (staff); publishes billing.invoice.issued.v1"""
        lines = tuple(LineInput(**line) for line in data.pop("lines"))
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
        """One invoice with its lines: staff, or a user of the invoiced company"""
        principal = require_principal()
        invoice = views.get_invoice(invoice_id)
        # Another company's invoice answers 404, exactly like a missing one (no enumeration).
        if invoice is None or (not principal.is_staff and invoice.member_id != principal.member_id):
            abort(404, message="Invoice not found.")
        return views.invoice_as_dict(invoice, with_lines=True)
