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
