"""API schemas of payments (amounts as strings with exact cents)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..invoices.schemas import money_field
from .rules import STAFF_METHODS, PaymentMethod


class PaymentSchema(Schema):
    id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf([method.value for method in PaymentMethod]))
    amount = money_field(required=True)
    applied_amount = money_field(required=True, metadata={"description": "Part that settled the invoice"})
    credit_amount = money_field(required=True, metadata={"description": "Overpayment kept as the company's credit"})
    received_on = fields.Date(required=True)
    reference = fields.String(required=True, allow_none=True)


class PaymentCreateSchema(Schema):
    """A transfer or a cheque received, recorded by staff."""

    method = fields.String(required=True, validate=validate.OneOf([method.value for method in STAFF_METHODS]))
    amount = fields.Decimal(required=True, validate=validate.Range(min=0, min_inclusive=False, max=10**10))
    received_on = fields.Date(required=True)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
