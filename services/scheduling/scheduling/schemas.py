"""API schemas of the scheduling service."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .domain import (DOCUMENT_KINDS, MAX_DURATION_MINUTES, MAX_SLOT_CAPACITY, MIN_DURATION_MINUTES, OUTCOME_STATUSES,
                     PLACE_ADDRESS_MAX, PLACE_NAME_MAX, PROFESSIONAL_KINDS, SCHEDULABLE_STATUSES, STATUSES,
                     VISIT_TYPES, WHEN_UPCOMING, WHEN_VALUES)
from .obligations import RULE_LABELS, URGENCY_LABELS
from .visit_requests import COMMENT_MAX, CONSTRAINTS_MAX, PREFERRED_TIMES, REQUEST_STATUSES

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
    duration_minutes = fields.Integer(required=True, strict=True,
                                      validate=validate.Range(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES))
    visit_type = fields.String(required=True, validate=validate.OneOf(VISIT_TYPES))
    place = fields.Nested(PlaceSchema, required=True)
    professional_kind = fields.String(required=True, validate=validate.OneOf(PROFESSIONAL_KINDS))
    status = fields.String(load_default="planifiee", validate=validate.OneOf(sorted(SCHEDULABLE_STATUSES)))


class AppointmentListArgsSchema(Schema):
    when = fields.String(load_default=WHEN_UPCOMING, validate=validate.OneOf(WHEN_VALUES))
    employee_id = fields.String(load_default=None, validate=ID)
    # Staff only: a member user always gets its current company's appointments.
    member_id = fields.String(load_default=None, validate=ID)


class ObligationSchema(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    employee_id = fields.String(required=True)
    employee = fields.Nested(EmployeeIdentitySchema, required=True)
    rule = fields.String(required=True, validate=validate.OneOf(RULE_LABELS))
    rule_label = fields.String(required=True)
    visit_type = fields.String(required=True, validate=validate.OneOf(VISIT_TYPES))
    visit_type_label = fields.String(required=True)
    due_on = fields.Date(required=True)
    before_post = fields.Boolean(required=True)
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCY_LABELS))
    urgency_label = fields.String(required=True)
    planned = fields.String(required=True, allow_none=True, validate=validate.OneOf(["demandee", "planifiee"]))
    # The employee has left: the service organises what remains due (the employer cannot request it).
    employee_left = fields.Boolean(required=True)


class ObligationListArgsSchema(Schema):
    employee_id = fields.String(load_default=None, validate=ID)
    # Only what falls due within this many days (overdue included); all when absent.
    within_days = fields.Integer(load_default=None, validate=validate.Range(0, 3660))
    member_id = fields.String(load_default=None, validate=ID)


class RequestSchema(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    employee_id = fields.String(required=True)
    employee_name = fields.String(required=True, allow_none=True)
    visit_type = fields.String(required=True, validate=validate.OneOf(VISIT_TYPES))
    visit_type_label = fields.String(required=True)
    return_date = fields.Date(required=True, allow_none=True)
    due_by = fields.Date(required=True, allow_none=True)
    preferred_from = fields.Date(required=True, allow_none=True)
    preferred_to = fields.Date(required=True, allow_none=True)
    preferred_time = fields.String(required=True, validate=validate.OneOf(PREFERRED_TIMES))
    constraints = fields.String(required=True)
    comment = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REQUEST_STATUSES))
    status_label = fields.String(required=True)
    # Why the service closed it: « salarié sorti des effectifs le 30/06/2026 »…; null otherwise.
    closed_reason = fields.String(required=True, allow_none=True)
    appointment_id = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    version = fields.Integer(required=True)


class RequestCreateSchema(Schema):
    """What the employer gives; the type is checked by the rules so the refusal can say why."""

    employee_id = fields.String(required=True, validate=ID)
    visit_type = fields.String(required=True, validate=validate.OneOf(VISIT_TYPES))
    return_date = fields.Date(load_default=None, allow_none=True)
    preferred_from = fields.Date(load_default=None, allow_none=True)
    preferred_to = fields.Date(load_default=None, allow_none=True)
    preferred_time = fields.String(load_default="indifferent", validate=validate.OneOf(PREFERRED_TIMES))
    constraints = fields.String(load_default="", validate=validate.Length(max=CONSTRAINTS_MAX))
    comment = fields.String(load_default="", validate=validate.Length(max=COMMENT_MAX))


class RequestListArgsSchema(Schema):
    open_only = fields.Boolean(load_default=True)
    member_id = fields.String(load_default=None, validate=ID)


class OutcomeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(sorted(OUTCOME_STATUSES)))


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


class SlotCreateSchema(Schema):
    centre = fields.Nested(PlaceSchema, required=True)
    professional_kind = fields.String(required=True, validate=validate.OneOf(PROFESSIONAL_KINDS))
    professional_name = fields.String(required=True, validate=validate.Length(min=1, max=PLACE_NAME_MAX))
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True, strict=True,
                                      validate=validate.Range(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES))
    capacity = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, MAX_SLOT_CAPACITY))


class PlacementSchema(Schema):
    """Exactly one of a request or an obligation goes into the slot."""

    request_id = fields.String(load_default=None, validate=ID)
    obligation_id = fields.String(load_default=None, validate=ID)

    @validates_schema
    def _one_of(self, data, **_kwargs):
        if bool(data.get("request_id")) == bool(data.get("obligation_id")):
            raise ValidationError("Give either request_id or obligation_id.", field_name="request_id")


class DocumentSchema(Schema):
    id = fields.String(required=True)
    member_id = fields.String(required=True)
    employee_id = fields.String(required=True)
    appointment_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    kind_label = fields.String(required=True)
    title = fields.String(required=True)
    issued_on = fields.Date(required=True)
    download_path = fields.String(required=True)


class MemberScopeArgsSchema(Schema):
    # Staff only: a member user always gets its current company's data.
    member_id = fields.String(load_default=None, validate=ID)
