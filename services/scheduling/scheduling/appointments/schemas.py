"""API schemas of the appointments."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..slots.rules import MOVE_REASON_MAX
from .rules import (
    CANCELLATION_REASONS,
    CANCELLATION_TEXT_MAX,
    CORRECTION_REASON_MAX,
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    OUTCOME_STATUSES,
    PLACE_ADDRESS_MAX,
    PLACE_NAME_MAX,
    PROFESSIONAL_KINDS,
    SCHEDULABLE_STATUSES,
    STATUSES,
    VISIT_TYPES,
    WHEN_VALUES,
    AppointmentStatus,
    When,
)

ID = validate.Length(equal=36)


class PlaceSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=PLACE_NAME_MAX))
    address = fields.String(required=True, validate=validate.Length(min=1, max=PLACE_ADDRESS_MAX))


class EmployeeIdentitySchema(Schema):
    """From the directory; every field is null until workforce's event has arrived."""

    last_name = fields.String(allow_none=True)
    birth_name = fields.String(allow_none=True)
    first_names = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)


class CancellationInfoSchema(Schema):
    """Who cancelled the visit, when and why: the other side reads it."""

    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancelled_by = fields.String(allow_none=True, metadata={"description": "employer or staff"})
    reason_code = fields.String(allow_none=True)
    reason_label = fields.String(required=True)
    reason_text = fields.String(allow_none=True)


class AppointmentSchema(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    employee_id = fields.String(required=True)
    employee = fields.Nested(EmployeeIdentitySchema, required=True)
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    visit_type = fields.String(required=True, validate=validate.OneOf(VISIT_TYPES))
    visit_type_label = fields.String(required=True)
    place = fields.Nested(PlaceSchema, required=True)
    professional_kind = fields.String(required=True, validate=validate.OneOf(PROFESSIONAL_KINDS))
    professional_kind_label = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    status_label = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    version = fields.Integer(required=True)
    cancellation = fields.Nested(CancellationInfoSchema, allow_none=True, required=True)


class AppointmentCreateSchema(Schema):
    """What staff provide to schedule a visit (unknown fields are rejected)."""

    member_id = fields.String(required=True, validate=ID)
    employee_id = fields.String(required=True, validate=ID)
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(
        required=True, strict=True, validate=validate.Range(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES)
    )
    visit_type = fields.String(required=True, validate=validate.OneOf(VISIT_TYPES))
    place = fields.Nested(PlaceSchema, required=True)
    professional_kind = fields.String(required=True, validate=validate.OneOf(PROFESSIONAL_KINDS))
    status = fields.String(
        load_default=AppointmentStatus.PLANIFIEE, validate=validate.OneOf(sorted(SCHEDULABLE_STATUSES))
    )


class AppointmentListArgsSchema(Schema):
    when = fields.String(load_default=When.UPCOMING, validate=validate.OneOf(WHEN_VALUES))
    employee_id = fields.String(load_default=None, validate=ID)
    # Staff only: a member user always gets its current company's appointments.
    member_id = fields.String(load_default=None, validate=ID)


class OutcomeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(sorted(OUTCOME_STATUSES)))


class OutcomeCorrectionSchema(Schema):
    """Staff correct a recorded outcome: the new one, why, and the version they read."""

    status = fields.String(required=True, validate=validate.OneOf(sorted(OUTCOME_STATUSES)))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=CORRECTION_REASON_MAX))
    version = fields.Integer(required=True, validate=validate.Range(min=1))


class CancellationSchema(Schema):
    """Why the visit is cancelled (the employer's or staff's list; « autre » needs the text) and, optionally, the
    version read: a visit changed since answers 409."""

    reason_code = fields.String(
        required=True,
        validate=validate.OneOf(list(CANCELLATION_REASONS)),
        metadata={
            "description": "employer: salarie_absent, salarie_sorti, contrainte_service, autre; staff: "
            "professionnel_indisponible, centre_ferme, demande_adherent, salarie_absent, autre"
        },
    )
    reason_text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=CANCELLATION_TEXT_MAX))
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class MoveSchema(Schema):
    """Where staff move the visit (another open slot of the same centre and professional kind), why (the company
    reads it in the new convocation) and the version read: a visit changed since answers 409."""

    slot_id = fields.String(load_default=None, validate=ID, metadata={"description": "the target slot"})
    starts_at = fields.AwareDateTime(
        load_default=None, metadata={"description": "instead of a slot: a new time, for a visit held outside any slot"}
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MOVE_REASON_MAX))
    version = fields.Integer(required=True, validate=validate.Range(min=1))

    @validates_schema
    def one_target(self, data, **_kwargs):
        if (data.get("slot_id") is None) == (data.get("starts_at") is None):
            raise ValidationError("Donnez soit un créneau, soit une nouvelle date et heure.", "slot_id")
