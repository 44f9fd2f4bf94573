"""API schemas of the centres and of a company's health team."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..record.schemas import AddressSchema


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
