"""JSON API of invoices (/api/billing/invoices)."""

from __future__ import annotations

from flask.views import MethodView

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.api import Blueprint, total_count, total_count_declaration
from portal_common.passport import Principal
from portal_common.roles import BILLING_STAFF, EVERY_STAFF_ROLE, INVOICE_READERS
from portal_common.service import portal

from ..ledger.queries import debits_in_flight
from ..web import readable_invoice
from . import queries
from .rules import ZERO, InvoiceKind, InvoiceRejected, IssueCommand, LineInput
from .schemas import InvoiceCreateSchema, InvoiceListArgsSchema, InvoiceSchema, InvoiceSummarySchema
from .use_cases.issue import issue_invoice

blp = Blueprint("billing_api", __name__, url_prefix="/api/billing", description="Invoices and credit notes")

# Member users need the billing or read role (admin holds every role); any staff may read.
READERS = member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)


def member_scope(principal: Principal, requested: str | None) -> str | None:
    """Whose invoices a caller sees: member users only their current company, staff whomever they ask."""
    if not principal.is_staff:
        return principal.member_id
    return requested or principal.member_id


@blp.route("/invoices")
class Invoices(MethodView):
    @READERS
    @blp.arguments(InvoiceListArgsSchema, location="query")
    @blp.response(200, InvoiceSummarySchema(many=True), headers=total_count_declaration("invoices"))
    def get(self, args):
        """Invoices of the current company, newest first (staff: of `member_id`, or all)"""
        scope = member_scope(require_principal(), args["member_id"])
        filters = {"year": args["year"], "status": args["status"]}
        total = queries.count_invoices(scope, **filters)
        offset = (args["page"] - 1) * args["page_size"]
        if offset >= total:
            return [], 200, total_count(total)  # past the last page: nothing asked of the database
        found = queries.list_invoices(scope, **filters, offset=offset, limit=args["page_size"])
        in_flight = debits_in_flight(invoice.id for invoice in found)
        shown = [queries.invoice_as_dict(invoice, in_flight=in_flight.get(invoice.id, ZERO)) for invoice in found]
        return shown, 200, total_count(total)

    @staff(*BILLING_STAFF)
    @blp.arguments(InvoiceCreateSchema)
    @blp.response(201, InvoiceSchema)
    def post(self, data):
        """Issue an invoice or a credit note (staff); publishes billing.invoice.issued.v1"""
        lines = tuple(LineInput(**line) for line in data.pop("lines"))
        if data["kind"] == InvoiceKind.CREDIT_NOTE:
            raise InvoiceRejected(
                {
                    "kind": (
                        "Un avoir s'émet sur la facture qu'il corrige (POST /api/billing/invoices/<id>/credit-notes)."
                    )
                }
            )
        invoice = issue_invoice(portal(), IssueCommand(**data, lines=lines))
        return queries.invoice_as_dict(invoice, with_lines=True)


@blp.route("/invoices/<string:invoice_id>")
class InvoiceById(MethodView):
    @READERS
    @blp.response(200, InvoiceSchema)
    def get(self, invoice_id):
        """One invoice with its lines and schedule: staff, or a user of the invoiced company"""
        return queries.invoice_as_dict(readable_invoice(invoice_id), with_lines=True)
