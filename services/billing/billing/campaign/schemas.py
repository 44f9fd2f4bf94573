"""API schema of a campaign's progress."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..invoices.schemas import money_field


class CampaignProgressSchema(Schema):
    """Live counts of one year's declaration campaign as billing sees it."""

    year = fields.Integer(required=True)
    received = fields.Integer(required=True, metadata={"description": "Confirmed declarations received"})
    invoiced = fields.Integer(required=True, metadata={"description": "Received declarations invoiced"})
    not_invoiced = fields.Integer(required=True, metadata={"description": "Received, nothing invoiced (yet)"})
    pending = fields.Integer(
        required=True, metadata={"description": "Active members with neither a declaration nor an estimate"}
    )
    estimated = fields.Integer(required=True, metadata={"description": "Estimated invoices (factures d'office)"})
    estimates_cancelled = fields.Integer(
        required=True, metadata={"description": "Estimates cancelled by the real declaration"}
    )
    invoiced_amount_incl_tax = money_field(required=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
