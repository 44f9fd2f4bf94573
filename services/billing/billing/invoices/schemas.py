"""API schemas of invoices (amounts travel as strings with exact cents)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from .rules import MAX_LINES, InvoiceKind, InvoiceStatus

KINDS = [kind.value for kind in InvoiceKind]
STATUSES = [status.value for status in InvoiceStatus]


def money_field(**kwargs: object) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=2, **kwargs)


def rate_field(**kwargs: object) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=4, **kwargs)


class InvoiceLineSchema(Schema):
    label = fields.String(required=True)
    quantity = money_field(required=True)
    unit_price = money_field(required=True)
    amount = money_field(required=True)


class InvoiceSummarySchema(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    number = fields.String(required=True, metadata={"example": "F2026-000123"})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    kind_label = fields.String(required=True)
    issued_on = fields.Date(required=True)
    due_on = fields.Date(required=True)
    period = fields.String(required=True)
    amount_excl_tax = money_field(required=True)
    vat_rate = fields.Decimal(as_string=True, places=4, required=True)
    vat_amount = money_field(required=True)
    amount_incl_tax = money_field(required=True)
    amount_paid = money_field(required=True)
    amount_due = money_field(required=True)
    amount_debit_in_flight = money_field(
        required=True,
        metadata={
            "description": "SEPA debits sent to the bank and not collected yet: still part of amount_due until "
            "their collection date"
        },
    )
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    status_label = fields.String(
        required=True, metadata={"description": "« Prélèvement en cours » while a debit is in flight"}
    )
    version = fields.Integer(required=True)


class InstalmentSchema(Schema):
    due_on = fields.Date(required=True)
    amount = money_field(required=True)


class InvoiceSchema(InvoiceSummarySchema):
    created_at = fields.DateTime(required=True)
    declaration_id = fields.String(
        required=True, allow_none=True, metadata={"description": "The headcount declaration an annual invoice bills"}
    )
    corrects_invoice_id = fields.String(
        required=True, allow_none=True, metadata={"description": "The invoice a credit note corrects"}
    )
    download_path = fields.String(required=True, metadata={"example": "/factures/3d2b9c1e-…/pdf"})
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True)
    instalments = fields.List(
        fields.Nested(InstalmentSchema),
        required=True,
        metadata={"description": "The schedule: 1 to 4 due dates for an annual fee"},
    )


class InvoiceLineCreateSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Decimal(required=True, validate=validate.Range(min=0, min_inclusive=False, max=100_000))
    unit_price = fields.Decimal(required=True, validate=validate.Range(min=-100_000, max=100_000))


class InvoiceCreateSchema(Schema):
    """What staff provide to issue an invoice (unknown fields are rejected)."""

    member_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    issued_on = fields.Date(load_default=None, allow_none=True)
    due_on = fields.Date(load_default=None, allow_none=True)
    period = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20))
    vat_rate = fields.Decimal(load_default=Decimal("0.20"), validate=validate.Range(min=0, max=1, max_inclusive=False))
    amount_paid = fields.Decimal(load_default=Decimal("0.00"), validate=validate.Range(min=-(10**10), max=10**10))
    lines = fields.List(
        fields.Nested(InvoiceLineCreateSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES)
    )


class InvoiceListArgsSchema(Schema):
    # The same paging as every list of the API: page and page_size, the total in X-Total-Count.
    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=100000), metadata={"description": "1-based"}
    )
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    member_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "Staff only; member users always get their current company"},
    )
