"""API schemas of staff's member registry."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from portal_common.validators import compact, is_valid_siret


class MemberCreateSchema(Schema):
    """What staff provide to register a member company."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    siret = fields.String(required=True)
    naf_code = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9]{2}\.[0-9]{2}[A-Z]$"))
    address_line1 = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address_line2 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    postal_code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{5}$"))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    billing_email = fields.Email(load_default=None, allow_none=True)
    adhesion_date = fields.Date(required=True)

    @validates("siret")
    def _siret(self, value: str, **_: object) -> None:
        if not is_valid_siret(compact(value)):
            raise ValidationError("Not a valid SIRET (14 digits, Luhn check).")


class MemberListArgsSchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
