"""API schemas of the SEPA mandate (the IBAN is accepted, never answered)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class MandateInSchema(Schema):
    iban = fields.String(required=True, validate=validate.Length(max=50), load_only=True)
    bic = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=11))
    holder = fields.String(required=True, validate=validate.Length(min=1, max=140))
    email = fields.String(required=True, validate=validate.Length(max=254))
    consent = fields.Boolean(required=True, metadata={"description": "the debtor authorises the debits"})


class MandateSchema(Schema):
    reference = fields.String(required=True, metadata={"description": "RUM"})
    creditor_id = fields.String(required=True, metadata={"description": "ICS"})
    iban_masked = fields.String(required=True)
    bic = fields.String(allow_none=True)
    holder = fields.String(required=True)
    email = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, active, revoked"})
    signed_on = fields.Date(required=True)
    revoked_on = fields.Date(allow_none=True)
