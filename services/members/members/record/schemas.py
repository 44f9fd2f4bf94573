"""API schemas of the company record and its change requests (unknown fields are rejected: marshmallow's RAISE)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from portal_common.vocabulary import MemberStatus


class AddressSchema(Schema):
    line1 = fields.String(required=True)
    line2 = fields.String(allow_none=True)
    postal_code = fields.String(required=True)
    city = fields.String(required=True)


class MemberSchema(Schema):
    id = fields.String(required=True)
    member_number = fields.String(required=True)
    name = fields.String(required=True)
    siret = fields.String(required=True)
    siren = fields.String(required=True)
    naf_code = fields.String(allow_none=True)
    naf_label = fields.String(allow_none=True)
    naf_version = fields.String(allow_none=True)
    vat_number = fields.String(allow_none=True)
    activity = fields.String(allow_none=True)
    status = fields.String(required=True)
    address = fields.Nested(AddressSchema, required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "E.164"})
    mobile = fields.String(allow_none=True, metadata={"description": "E.164"})
    fax = fields.String(allow_none=True, metadata={"description": "E.164"})
    billing_email = fields.String(allow_none=True)
    adhesion_date = fields.Date(required=True)
    situation = fields.String(allow_none=True)
    situation_date = fields.Date(allow_none=True)
    employees_followed = fields.Integer(required=True)
    version = fields.Integer(required=True)


def _text(max_length: int) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=max_length))


class MemberChangeSchema(Schema):
    """Fields to change; the rules decide what is allowed (staff-only fields) and what waits for staff."""

    naf_code = _text(10)
    vat_number = _text(20)
    activity = _text(200)
    phone = _text(30)
    mobile = _text(30)
    fax = _text(30)
    email = _text(254)
    billing_email = _text(254)
    name = _text(200)
    siret = _text(20)
    member_number = _text(7)
    adhesion_date = fields.Date()
    status = fields.String(validate=validate.OneOf(tuple(MemberStatus)))


class ChangeRequestSchema(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "record, address, contact, situation, mandate"})
    action = fields.String(required=True, metadata={"description": "create, update, delete"})
    target_id = fields.String(allow_none=True)
    before = fields.Dict(required=True)
    after = fields.Dict(required=True)
    status = fields.String(required=True, metadata={"description": "pending, approved, rejected, applied"})
    requested_by_name = fields.String(required=True)
    requested_at = fields.DateTime(required=True)
    decided_by_name = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)


class DecisionSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
