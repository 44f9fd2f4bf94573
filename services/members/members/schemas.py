"""API schemas of the members service (unknown fields are rejected: marshmallow's RAISE)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from portal_common.validators import compact, is_valid_siret

from .addressbook import ADDRESS_KINDS, CONTACT_KINDS
from .situations import SITUATION_KINDS

OPTIONAL = dict(load_default=None, allow_none=True)


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
    status = fields.String(validate=validate.OneOf(("active", "suspended", "closed")))


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


class ContactInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(CONTACT_KINDS)))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    function = fields.String(**OPTIONAL, validate=validate.Length(max=100))
    email = fields.String(**OPTIONAL, validate=validate.Length(max=254))
    phone = fields.String(**OPTIONAL, validate=validate.Length(max=30))
    mobile = fields.String(**OPTIONAL, validate=validate.Length(max=30))


class ContactOutSchema(ContactInSchema):
    id = fields.String(required=True)


class SituationInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(SITUATION_KINDS)))
    effective_date = fields.Date(required=True)
    comment = fields.String(**OPTIONAL, validate=validate.Length(max=500))


class MandateInSchema(Schema):
    iban = fields.String(required=True, validate=validate.Length(max=50), load_only=True)
    bic = fields.String(**OPTIONAL, validate=validate.Length(max=11))
    holder = fields.String(required=True, validate=validate.Length(min=1, max=140))
    email = fields.String(required=True, validate=validate.Length(max=254))
    consent = fields.Boolean(required=True, metadata={"description": "the debtor authorises the debits"})


class MandateSchema(Schema):
    reference = fields.String(required=True, metadata={"description": "RUM"})
    creditor_id = fields.String(required=True, metadata={"description": "ICS"})
    iban_masked = fields.String(required=True)
    bic = fields.String(allow_none=True)
    holder = fields.String(required=True)
    email = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, active, revoked"})
    signed_on = fields.Date(required=True)
    revoked_on = fields.Date(allow_none=True)


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


class CentreSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.Nested(AddressSchema, required=True)
    phone = fields.String(allow_none=True, metadata={"description": "E.164"})
    email = fields.String(allow_none=True)


class MailboxSchema(Schema):
    label = fields.String(required=True)
    email = fields.String(required=True)


class HealthTeamSchema(Schema):
    centre = fields.Nested(CentreSchema, allow_none=True)
    doctor = fields.String(allow_none=True)
    secretary = fields.String(allow_none=True)
    secretary_phone = fields.String(allow_none=True, metadata={"description": "E.164"})
    secretary_email = fields.String(allow_none=True)
    preventer = fields.String(allow_none=True)
    preventer_email = fields.String(allow_none=True)
    nurse = fields.String(allow_none=True, metadata={"description": "infirmier en santé au travail (IDEST)"})
    mailboxes = fields.List(fields.Nested(MailboxSchema), required=True)


class EstablishmentSchema(Schema):
    member_id = fields.String(required=True)
    member_number = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    relations = fields.List(fields.String(), required=True,
                            metadata={"description": "current, same_siren, member, delegate"})
    can_switch = fields.Boolean(required=True)


class EstablishmentListSchema(Schema):
    complete = fields.Boolean(required=True, metadata={
        "description": "false when identity did not answer: only the establishments of the same SIREN are listed"})
    items = fields.List(fields.Nested(EstablishmentSchema), required=True)
