"""API schemas of the documents."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..appointments.schemas import ID
from .rules import DOCUMENT_KINDS


class DocumentSchema(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    employee_id = fields.String(required=True)
    appointment_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    kind_label = fields.String(required=True)
    title = fields.String(required=True)
    issued_on = fields.Date(required=True)
    download_path = fields.String(required=True)


class MemberScopeArgsSchema(Schema):
    # Staff only: a member user always gets its current company's data.
    member_id = fields.String(load_default=None, validate=ID)
