"""API schemas of the workforce service."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from portal_common.validators import nir_in

from .queries import PAGE_SIZE, SORTS
from .rules import BY_CODE, CATEGORIES, CONTRACTS, EXIT_REASONS, ID_PATTERN, SEXES, STATUSES, HistoryKind, ListStatus

DETERMINANT_CODES = tuple(BY_CODE)


class CategoryReasonSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    label = fields.String(required=True)
    reference = fields.String(required=True, metadata={"example": "art. R4624-23 I"})


class EmployeeSchema(Schema):
    """An employee as the API shows it: the NIR only masked; the category computed with its reasons."""

    id = fields.String(required=True)
    member_id = fields.String(required=True)
    last_name = fields.String(required=True, metadata={"description": "Nom d'usage"})
    birth_name = fields.String(required=True, metadata={"description": "Nom de naissance"})
    first_names = fields.String(required=True)
    display_name = fields.String(required=True, metadata={"description": "'DUPONT née MARTIN'"})
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    birth_date = fields.Date(required=True)
    birth_commune = fields.String(
        allow_none=True, metadata={"description": "INSEE code of the commune of birth", "example": "14118"}
    )
    birth_country = fields.String(allow_none=True, metadata={"description": "Country of birth (born abroad)"})
    nir_masked = fields.String(required=True, metadata={"example": "2 55 08 ** *** *** 38"})
    hire_date = fields.Date(required=True)
    post = fields.String(required=True)
    post_since = fields.Date(required=True)
    pcs_code = fields.String(allow_none=True)
    pcs_label = fields.String(
        allow_none=True,
        metadata={
            "description": "PCS-ESE 2017 label of the code, when in the shipped list",
            "example": "Caissiers de magasin",
        },
    )
    workplace_siret = fields.String(
        allow_none=True,
        dump_only=True,
        metadata={
            "description": "SIRET of the establishment where the employee works, as the DSN declares it "
            "(S21.G00.40.019); null when not known. Read-only: set by DSN imports.",
            "example": "73282932000074",
        },
    )
    contract = fields.String(required=True, validate=validate.OneOf(CONTRACTS))
    multi_employer = fields.Boolean(required=True)
    monitoring_category = fields.String(
        required=True,
        validate=validate.OneOf(CATEGORIES),
        metadata={"description": "SI, SIA or SIR, computed for today"},
    )
    category_label = fields.String(required=True, metadata={"description": "Shown label, e.g. a local 'SIH'"})
    category_reasons = fields.List(fields.Nested(CategoryReasonSchema), required=True)
    determinants = fields.List(fields.String(validate=validate.OneOf(DETERMINANT_CODES)), required=True)
    sir_justification = fields.String(allow_none=True)
    adapted_undisclosed = fields.Boolean(required=True)
    convocation_constraints = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    exit_date = fields.Date(allow_none=True)
    exit_reason = fields.String(allow_none=True, validate=validate.OneOf(EXIT_REASONS))
    status = fields.String(
        required=True, validate=validate.OneOf((ListStatus.PRESENT, ListStatus.UPCOMING, ListStatus.LEFT))
    )
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    warnings = fields.List(fields.String(), metadata={"description": "NIR inconsistencies (not refusals)"})


class EmployeeWriteSchema(Schema):
    """The record as the employer declares or corrects it (unknown fields are rejected)."""

    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    birth_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    first_names = fields.String(required=True, validate=validate.Length(min=1, max=150))
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    birth_date = fields.Date(required=True)
    birth_commune = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=80),
        metadata={
            "description": "The commune of birth (born in France): its INSEE code, its name, or « name (code) » as "
            "GET /salaries/communes suggests; stored and answered as the INSEE code. A postal code is refused, and "
            "a name several communes bear asks for the code. Exactly one of birth_commune and birth_country",
            "example": "2A004",
        },
    )
    birth_country = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "Country of birth, name or INSEE code 99xxx (born abroad)", "example": "99350"},
    )
    nir = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(max=30),
        metadata={"description": "N° de sécurité sociale or NIA, 15 characters with the key; never returned"},
    )
    hire_date = fields.Date(required=True)
    post = fields.String(required=True, validate=validate.Length(min=1, max=200))
    pcs_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=4), metadata={"example": "552a"}
    )
    contract = fields.String(required=True, validate=validate.OneOf(CONTRACTS))
    multi_employer = fields.Boolean(load_default=False)
    determinants = fields.List(
        fields.String(validate=validate.OneOf(DETERMINANT_CODES)),
        load_default=list,
        metadata={"description": "Work conditions and exposures; the category is computed"},
    )
    sir_justification = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "Required with sir_employeur (R4624-23 III)"},
    )
    adapted_undisclosed = fields.Boolean(
        load_default=False, metadata={"description": "Suivi adapté, motif non communiqué"}
    )
    convocation_constraints = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class EmployeeCorrectionSchema(EmployeeWriteSchema):
    """A correction: the whole record, but the NIR only when it changes (it is never read back to be resent)."""

    nir = fields.String(
        load_default="",
        load_only=True,
        validate=validate.Length(max=30),
        metadata={"description": "The new N° de sécurité sociale or NIA, 15 characters; absent or empty: unchanged"},
    )


class EmployeeCreateSchema(EmployeeWriteSchema):
    """A hire. `member_id` is for staff only; a member user always hires for its current company."""

    member_id = fields.String(load_default=None, validate=validate.Regexp(ID_PATTERN))


class PostChangeSchema(Schema):
    post = fields.String(required=True, validate=validate.Length(min=1, max=200))
    pcs_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4))
    from_date = fields.Date(required=True)
    determinants = fields.List(fields.String(validate=validate.OneOf(DETERMINANT_CODES)), load_default=list)
    sir_justification = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    adapted_undisclosed = fields.Boolean(load_default=False)


class ExitSchema(Schema):
    exit_date = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(EXIT_REASONS))


class HistorySchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(HistoryKind)))
    effective_on = fields.Date(required=True)
    post = fields.String(required=True)
    pcs_code = fields.String(allow_none=True)
    determinants = fields.List(fields.String(), required=True)
    monitoring_category = fields.String(required=True)
    exit_reason = fields.String(allow_none=True)
    recorded_at = fields.DateTime(required=True)


def no_nir(value: str) -> None:
    """A query string ends up in access logs and browser history: a NIR never goes there (docs/security.md DP-02)."""
    if nir_in(value):
        raise ValidationError("A NIR is never sent in a URL: search by NIR with POST /api/workforce/employees/search.")


class EmployeeListArgsSchema(Schema):
    status = fields.String(load_default=ListStatus.PRESENT, validate=validate.OneOf(STATUSES))
    letter = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[A-Za-z#]$"),
        metadata={"description": "Initial of the name in use, without accent"},
    )
    q = fields.String(
        load_default=None,
        validate=[validate.Length(max=100), no_nir],
        metadata={"description": "Search in the names; a NIR is refused here (POST /employees/search)"},
    )
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    contract = fields.String(load_default=None, validate=validate.OneOf(CONTRACTS))
    sort = fields.String(load_default="name", validate=validate.OneOf(tuple(SORTS)))
    page = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=100000),
        metadata={"description": "1-based; without it, the first 2 000 rows"},
    )
    page_size = fields.Integer(load_default=PAGE_SIZE, validate=validate.Range(min=1, max=500))
    member_id = fields.String(
        load_default=None,
        validate=validate.Regexp(ID_PATTERN),
        metadata={"description": "Staff only; ignored for member users"},
    )


class EmployeeSearchSchema(Schema):
    """A search by NIR, in the request body: a NIR never goes into a URL."""

    nir = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=30),
        metadata={
            "description": "N° de sécurité sociale or NIA: its first 13 characters, or the 15 "
            "with the key; spaces allowed"
        },
    )
    member_id = fields.String(
        load_default=None,
        validate=validate.Regexp(ID_PATTERN),
        metadata={"description": "Staff only (every company when absent); ignored for member users"},
    )
