"""API schema of a credit note request (the credit note itself is an invoice: invoices.schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class CreditNoteCreateSchema(Schema):
    """A credit note correcting an invoice: an amount HT taken back, or everything still creditable."""

    label = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Erreur sur l'effectif déclaré"}
    )
    amount_excl_tax = fields.Decimal(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=10**10),
        metadata={"description": "Positive; omit with cancel_all", "example": "97.35"},
    )
    cancel_all = fields.Boolean(
        load_default=False, metadata={"description": "Cancel everything not yet credited on the invoice"}
    )
