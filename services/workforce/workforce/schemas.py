"""API schemas of the workforce service."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .domain import CONTRACTS, ID_PATTERN, MONITORING_CATEGORIES, SEXES, STATUSES


class EmployeeSchema(Schema):
    """An employee as the API shows it: the NIR only masked."""

    id = fields.String(required=True)
    member_id = fields.String(required=True)
    last_name = fields.String(required=True, metadata={"description": "Nom d'usage"})
    birth_name = fields.String(required=True, metadata={"description": "Nom de naissance"})
    first_names = fields.String(required=True)
    display_name = fields.String(required=True, metadata={"description": "'DUPONT née MARTIN'"})
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    birth_date = fields.Date(required=True)
    nir_masked = fields.String(required=True, metadata={"example": "2 55 08 ** *** *** 38"})
    hire_date = fields.Date(required=True)
    post = fields.String(required=True)
    pcs_code = fields.String(allow_none=True)
    contract = fields.String(required=True, validate=validate.OneOf(CONTRACTS))
    multi_employer = fields.Boolean(required=True)
    monitoring_category = fields.String(required=True, validate=validate.OneOf(MONITORING_CATEGORIES))
    exit_date = fields.Date(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(("present", "left")))
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class EmployeeCreateSchema(Schema):
    """What the employer declares for a hire (unknown fields are rejected).

    `member_id` is for staff only; a member user always hires for its current company.
    """

    member_id = fields.String(load_default=None, validate=validate.Regexp(ID_PATTERN))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    birth_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    first_names = fields.String(required=True, validate=validate.Length(min=1, max=150))
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    birth_date = fields.Date(required=True)
    nir = fields.String(required=True, load_only=True, validate=validate.Length(max=30),
                        metadata={"description": "N° de sécurité sociale, 15 caractères clé comprise; never returned"})
    hire_date = fields.Date(required=True)
    post = fields.String(required=True, validate=validate.Length(min=1, max=200))
    pcs_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4),
                             metadata={"example": "552a"})
    contract = fields.String(required=True, validate=validate.OneOf(CONTRACTS))
    multi_employer = fields.Boolean(load_default=False)
    monitoring_category = fields.String(required=True, validate=validate.OneOf(MONITORING_CATEGORIES))


class EmployeeListArgsSchema(Schema):
    status = fields.String(load_default="present", validate=validate.OneOf(STATUSES))
    letter = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z#]$"),
                           metadata={"description": "Initial of the name in use, without accent"})
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    member_id = fields.String(load_default=None, validate=validate.Regexp(ID_PATTERN),
                              metadata={"description": "Staff only; ignored for member users"})
