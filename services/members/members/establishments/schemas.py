"""API schemas of the companies a user manages from the current one."""

from __future__ import annotations

from marshmallow import Schema, fields


class EstablishmentSchema(Schema):
    member_id = fields.String(required=True)
    member_number = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    relations = fields.List(
        fields.String(), required=True, metadata={"description": "current, same_siren, member, delegate"}
    )
    can_switch = fields.Boolean(required=True)


class EstablishmentListSchema(Schema):
    complete = fields.Boolean(
        required=True,
        metadata={
            "description": "false when identity did not answer: only the establishments of the same SIREN are listed"
        },
    )
    items = fields.List(fields.Nested(EstablishmentSchema), required=True)
