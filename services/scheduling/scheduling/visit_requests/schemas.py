"""API schemas of the visit requests."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..appointments.rules import VISIT_TYPES
from ..appointments.schemas import ID
from .rules import CLOSE_REASON_MAX, COMMENT_MAX, CONSTRAINTS_MAX, PREFERRED_TIMES, REQUEST_STATUSES, PreferredTime


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
    preferred_time = fields.String(load_default=PreferredTime.INDIFFERENT, validate=validate.OneOf(PREFERRED_TIMES))
    constraints = fields.String(load_default="", validate=validate.Length(max=CONSTRAINTS_MAX))
    comment = fields.String(load_default="", validate=validate.Length(max=COMMENT_MAX))


class RequestListArgsSchema(Schema):
    open_only = fields.Boolean(load_default=True)
    member_id = fields.String(load_default=None, validate=ID)


class RequestClosureSchema(Schema):
    """Staff close or refuse a request: the reason the employer reads."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=CLOSE_REASON_MAX))
