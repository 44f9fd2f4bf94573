"""API schemas of the obligations."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..appointments.rules import VISIT_TYPES, AppointmentStatus
from ..appointments.schemas import ID, EmployeeIdentitySchema
from ..visit_requests.rules import RequestStatus
from .rules import RULE_LABELS, URGENCY_LABELS


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
    planned = fields.String(
        required=True, allow_none=True, validate=validate.OneOf([RequestStatus.DEMANDEE, AppointmentStatus.PLANIFIEE])
    )
    # The employee has left: the service organises what remains due (the employer cannot request it).
    employee_left = fields.Boolean(required=True)


class ObligationListArgsSchema(Schema):
    employee_id = fields.String(load_default=None, validate=ID)
    # Only what falls due within this many days (overdue included); all when absent.
    within_days = fields.Integer(load_default=None, validate=validate.Range(0, 3660))
    member_id = fields.String(load_default=None, validate=ID)
