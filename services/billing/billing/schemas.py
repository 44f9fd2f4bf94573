"""API schemas of the billing service (amounts travel as strings with exact cents)."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from .domain import KIND_LABELS, MAX_LINES, STATUS_LABELS
from .payments import METHOD_LABELS, STAFF_METHODS


def money_field(**kwargs: object) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=2, **kwargs)


class InvoiceLineSchema(Schema):
    label = fields.String(required=True)
    quantity = money_field(required=True)
    unit_price = money_field(required=True)
    amount = money_field(required=True)


class InvoiceSummarySchema(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    number = fields.String(required=True, metadata={"example": "F2026-000123"})
    kind = fields.String(required=True, validate=validate.OneOf(list(KIND_LABELS)))
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
    status = fields.String(required=True, validate=validate.OneOf(list(STATUS_LABELS)))
    status_label = fields.String(required=True)
    version = fields.Integer(required=True)


class InstalmentSchema(Schema):
    due_on = fields.Date(required=True)
    amount = money_field(required=True)


class InvoiceSchema(InvoiceSummarySchema):
    created_at = fields.DateTime(required=True)
    declaration_id = fields.String(required=True, allow_none=True,
                                   metadata={"description": "The headcount declaration an annual invoice bills"})
    corrects_invoice_id = fields.String(required=True, allow_none=True,
                                        metadata={"description": "The invoice a credit note corrects"})
    download_path = fields.String(required=True, metadata={"example": "/factures/3d2b9c1e-…/pdf"})
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True)
    instalments = fields.List(fields.Nested(InstalmentSchema), required=True,
                              metadata={"description": "The schedule: 1 to 4 due dates for an annual fee"})


class InvoiceLineCreateSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Decimal(required=True, validate=validate.Range(min=0, min_inclusive=False, max=100_000))
    unit_price = fields.Decimal(required=True, validate=validate.Range(min=-100_000, max=100_000))


class InvoiceCreateSchema(Schema):
    """What staff provide to issue an invoice (unknown fields are rejected)."""

    member_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    kind = fields.String(required=True, validate=validate.OneOf(list(KIND_LABELS)))
    issued_on = fields.Date(load_default=None, allow_none=True)
    due_on = fields.Date(load_default=None, allow_none=True)
    period = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20))
    vat_rate = fields.Decimal(load_default=Decimal("0.20"), validate=validate.Range(min=0, max=1, max_inclusive=False))
    amount_paid = fields.Decimal(load_default=Decimal("0.00"), validate=validate.Range(min=-10**10, max=10**10))
    lines = fields.List(fields.Nested(InvoiceLineCreateSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))


class InvoiceListArgsSchema(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    status = fields.String(load_default=None, validate=validate.OneOf(list(STATUS_LABELS)))
    member_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36),
                              metadata={"description": "Staff only; member users always get their current company"})


def rate_field(**kwargs: object) -> fields.Decimal:
    return fields.Decimal(as_string=True, places=4, **kwargs)


class TariffSchema(Schema):
    """A year's fees: amounts HT in euros, rates as fractions (0.0150 = 1,5 %)."""

    year = fields.Integer(required=True, metadata={"example": 2026})
    per_capita_fee = money_field(required=True, metadata={"example": "110.00"})
    national_average_cost = money_field(required=True, metadata={"example": "116.00"})
    legal_band_min = money_field(required=True, metadata={"description": "80 % of the national average cost"})
    legal_band_max = money_field(required=True, metadata={"description": "120 % of the national average cost"})
    entry_fee = money_field(required=True)
    minimum_fee = money_field(required=True)
    late_hire_fee = money_field(required=True)
    no_show_fee = money_field(required=True)
    sepa_discount_rate = rate_field(required=True, metadata={"example": "0.0150"})
    vat_rate = rate_field(required=True, metadata={"example": "0.2000"})
    multi_employer_share = rate_field(required=True, metadata={"example": "0.5000"})
    estimate_uplift_rate = rate_field(required=True, metadata={"example": "0.1000"})
    updated_at = fields.DateTime(required=True)
    updated_by = fields.String(required=True)


class TariffInputSchema(Schema):
    """What staff set for a year (the year is in the path; the national cost defaults to the published one)."""

    per_capita_fee = fields.Decimal(required=True)
    national_average_cost = fields.Decimal(load_default=None, allow_none=True)
    entry_fee = fields.Decimal(required=True)
    minimum_fee = fields.Decimal(required=True)
    late_hire_fee = fields.Decimal(required=True)
    no_show_fee = fields.Decimal(required=True)
    sepa_discount_rate = fields.Decimal(load_default=Decimal("0.015"))
    vat_rate = fields.Decimal(load_default=Decimal("0.20"))
    multi_employer_share = fields.Decimal(load_default=Decimal("0.50"))
    estimate_uplift_rate = fields.Decimal(load_default=Decimal("0.10"))


class PaymentSchema(Schema):
    id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(list(METHOD_LABELS)))
    amount = money_field(required=True)
    applied_amount = money_field(required=True, metadata={"description": "Part that settled the invoice"})
    credit_amount = money_field(required=True, metadata={"description": "Overpayment kept as the company's credit"})
    received_on = fields.Date(required=True)
    reference = fields.String(required=True, allow_none=True)


class PaymentCreateSchema(Schema):
    """A transfer or a cheque received, recorded by staff."""

    method = fields.String(required=True, validate=validate.OneOf(list(STAFF_METHODS)))
    amount = fields.Decimal(required=True, validate=validate.Range(min=0, min_inclusive=False, max=10**10))
    received_on = fields.Date(required=True)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class CreditNoteCreateSchema(Schema):
    """A credit note correcting an invoice: an amount HT taken back, or everything still creditable."""

    label = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"example": "Erreur sur l'effectif déclaré"})
    amount_excl_tax = fields.Decimal(load_default=None, allow_none=True,
                                     validate=validate.Range(min=0, min_inclusive=False, max=10**10),
                                     metadata={"description": "Positive; omit with cancel_all", "example": "97.35"})
    cancel_all = fields.Boolean(load_default=False,
                                metadata={"description": "Cancel everything not yet credited on the invoice"})


class CampaignProgressSchema(Schema):
    """Live counts of one year's declaration campaign as billing sees it."""

    year = fields.Integer(required=True)
    received = fields.Integer(required=True, metadata={"description": "Confirmed declarations received"})
    invoiced = fields.Integer(required=True, metadata={"description": "Received declarations invoiced"})
    not_invoiced = fields.Integer(required=True, metadata={"description": "Received, nothing invoiced (yet)"})
    pending = fields.Integer(required=True,
                             metadata={"description": "Active members with neither a declaration nor an estimate"})
    estimated = fields.Integer(required=True, metadata={"description": "Estimated invoices (factures d'office)"})
    estimates_cancelled = fields.Integer(required=True,
                                         metadata={"description": "Estimates cancelled by the real declaration"})
    invoiced_amount_incl_tax = money_field(required=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
