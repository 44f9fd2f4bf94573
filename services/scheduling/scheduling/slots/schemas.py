"""API schemas of the slots and placements."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..appointments.rules import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, PLACE_NAME_MAX, PROFESSIONAL_KINDS
from ..appointments.schemas import ID, PlaceSchema
from .rules import MAX_SLOT_CAPACITY, MOVE_REASON_MAX


class SlotSchema(Schema):
    id = fields.String(required=True)
    centre = fields.Nested(PlaceSchema, required=True)
    professional_kind = fields.String(required=True, validate=validate.OneOf(PROFESSIONAL_KINDS))
    professional_kind_label = fields.String(required=True)
    professional_name = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    capacity = fields.Integer(required=True)
    booked = fields.Integer(required=True)
    closed = fields.Boolean(required=True, metadata={"description": "closed: offered no more, its visits stay"})
    version = fields.Integer(required=True, metadata={"description": "sent back to move the slot"})


class SlotCreateSchema(Schema):
    centre = fields.Nested(PlaceSchema, required=True)
    professional_kind = fields.String(required=True, validate=validate.OneOf(PROFESSIONAL_KINDS))
    professional_name = fields.String(required=True, validate=validate.Length(min=1, max=PLACE_NAME_MAX))
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(
        required=True, strict=True, validate=validate.Range(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES)
    )
    capacity = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, MAX_SLOT_CAPACITY))


class PlacementSchema(Schema):
    """Exactly one of a request or an obligation goes into the slot."""

    request_id = fields.String(load_default=None, validate=ID)
    obligation_id = fields.String(load_default=None, validate=ID)

    @validates_schema
    def _one_of(self, data, **_kwargs):
        if bool(data.get("request_id")) == bool(data.get("obligation_id")):
            raise ValidationError(
                "Indiquez soit la demande, soit la visite due (pas les deux).", field_name="request_id"
            )


class SlotMoveSchema(Schema):
    """The slot's new start (it keeps its centre, professional, duration and capacity), why (the companies read it
    in the new convocations) and the version read: a slot changed since answers 409."""

    starts_at = fields.AwareDateTime(required=True, metadata={"description": "the new start"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MOVE_REASON_MAX))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class SlotMovedSchema(SlotSchema):
    reconvoked = fields.Integer(required=True, metadata={"description": "visits convoked again at the new time"})
