"""API schemas of a company's changes of situation."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .rules import SITUATION_KINDS


class SituationInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(SITUATION_KINDS)))
    effective_date = fields.Date(required=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
