"""API schemas of the appointments."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .rules import (
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
