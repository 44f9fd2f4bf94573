"""API schemas of a company's addresses and contacts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .rules import ADDRESS_KINDS, CONTACT_KINDS

OPTIONAL = dict(load_default=None, allow_none=True)


class AddressInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(ADDRESS_KINDS)))
    line1 = fields.String(required=True, validate=validate.Length(min=1, max=200))
    line2 = fields.String(**OPTIONAL, validate=validate.Length(max=200))
    postal_code = fields.String(required=True, validate=validate.Length(max=10))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    valid_from = fields.Date(**OPTIONAL)
    valid_to = fields.Date(**OPTIONAL)


class AddressOutSchema(AddressInSchema):
    id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Its ETag, for If-Match"})


class ContactInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(CONTACT_KINDS)))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    function = fields.String(**OPTIONAL, validate=validate.Length(max=100))
    email = fields.String(**OPTIONAL, validate=validate.Length(max=254))
    phone = fields.String(**OPTIONAL, validate=validate.Length(max=30))
    mobile = fields.String(**OPTIONAL, validate=validate.Length(max=30))


class ContactOutSchema(ContactInSchema):
    id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Its ETag, for If-Match"})
