"""API schemas of the identity service."""

from marshmallow import Schema, fields


class MeSchema(Schema):
    user_id = fields.String(required=True)
    display_name = fields.String(required=True)
    member_id = fields.String(allow_none=True)
    member_name = fields.String(allow_none=True)
    member_number = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)
    staff_roles = fields.List(fields.String(), required=True)
    grants = fields.List(fields.String(), required=True)
    member_count = fields.Integer(required=True)


class EndedSessionsSchema(Schema):
    ended = fields.Integer(required=True)
