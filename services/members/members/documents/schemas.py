"""API schemas of a company's documents space."""

from __future__ import annotations

from marshmallow import Schema, fields


class DocumentSchema(Schema):
    id = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "billing, scheduling or upload"})
    kind = fields.String(required=True)
    kind_label = fields.String(required=True)
    title = fields.String(required=True)
    issued_on = fields.Date(required=True)
    url = fields.String(required=True, metadata={"description": "portal path, served by the document's owner"})
    filename = fields.String(allow_none=True)
    content_type = fields.String(allow_none=True)
    size_bytes = fields.Integer(allow_none=True)
    uploaded_by_name = fields.String(allow_none=True)
    cancelled_on = fields.Date(
        allow_none=True, metadata={"description": "a convocation whose appointment was cancelled: the day it was"}
    )
    replaced_on = fields.Date(
        allow_none=True, metadata={"description": "a convocation a new one replaced when the visit moved: that day"}
    )
    status_label = fields.String(
        allow_none=True, metadata={"description": "« Annulée » or « Remplacée » for such a convocation"}
    )
