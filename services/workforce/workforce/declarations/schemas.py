"""API schemas of the headcount declaration and its campaigns."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .rules import FIRST_YEAR, JUSTIFICATION_MAX, LAST_YEAR, MAX_COUNT, STATUS_CODES, CampaignStatus


def _count(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_COUNT), **kwargs)


class CountsSchema(Schema):
    """A count per monitoring category."""

    SI = _count(required=True)
    SIA = _count(required=True)
    SIR = _count(required=True)


class JustificationsSchema(Schema):
    """Why a category's counts differ from the employee list at 1 January (required to confirm)."""

    SI = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=JUSTIFICATION_MAX))
    SIA = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=JUSTIFICATION_MAX))
    SIR = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=JUSTIFICATION_MAX))


class ExpectedSchema(Schema):
    headcount = fields.Nested(CountsSchema, required=True)
    multi_employer = fields.Nested(CountsSchema, required=True)
    total = fields.Integer(required=True)


class CampaignSchema(Schema):
    id = fields.String(required=True)
    year = fields.Integer(required=True)
    opens_on = fields.Date(required=True, metadata={"description": "First day of the entry window"})
    closes_on = fields.Date(required=True, metadata={"description": "Last day of the entry window"})
    deadline = fields.Date(required=True, metadata={"description": "The campaign closes after this day"})
    status = fields.String(required=True, validate=validate.OneOf(tuple(CampaignStatus)))
    status_label = fields.String(required=True)
    opened_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)


class CampaignProgressSchema(CampaignSchema):
    progress = fields.Dict(
        keys=fields.String(validate=validate.OneOf(STATUS_CODES)),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Companies per declaration status"},
    )


class CampaignClosureSchema(CampaignSchema):
    undeclared = fields.Integer(
        required=True,
        metadata={
            "description": "Companies without a confirmed declaration, sent to billing for a facture d'office "
            "(billing skips one whose annual fee of the year it already billed)"
        },
    )


class CampaignCreateSchema(Schema):
    """A campaign for a year; the window defaults to 1–31 January and the deadline to the window's end."""

    year = fields.Integer(required=True, validate=validate.Range(min=FIRST_YEAR, max=LAST_YEAR))
    opens_on = fields.Date(load_default=None)
    closes_on = fields.Date(load_default=None)
    deadline = fields.Date(load_default=None)


class DeclarationSchema(Schema):
    """A company's declaration: the saved counts, or the prefill from the employee list when none is saved."""

    declaration_id = fields.String(allow_none=True)
    member_id = fields.String(required=True)
    year = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUS_CODES))
    status_label = fields.String(required=True, metadata={"example": "À saisir"})
    editable = fields.Boolean(required=True)
    refusal = fields.String(allow_none=True, metadata={"description": "Why it cannot be entered now"})
    late = fields.Boolean(
        required=True,
        metadata={"description": "Entered or confirmed after the campaign closed: it cancels the facture d'office"},
    )
    late_explanation = fields.String(allow_none=True)
    headcount = fields.Nested(
        CountsSchema, required=True, metadata={"description": "Per category, multi-employer workers excluded"}
    )
    multi_employer = fields.Nested(CountsSchema, required=True)
    total = fields.Integer(required=True)
    expected = fields.Nested(
        ExpectedSchema, required=True, metadata={"description": "The employee list as at 1 January"}
    )
    justifications = fields.Nested(JustificationsSchema, required=True)
    version = fields.Integer(required=True, metadata={"description": "0 until first saved; the ETag"})
    confirmed_at = fields.DateTime(allow_none=True)
    invoice_number = fields.String(allow_none=True)
    campaign = fields.Nested(CampaignSchema, required=True)


class DeclarationSummarySchema(Schema):
    year = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUS_CODES))
    status_label = fields.String(required=True)
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    deadline = fields.Date(required=True)
    total = fields.Integer(allow_none=True)
    confirmed_at = fields.DateTime(allow_none=True)
    invoice_number = fields.String(allow_none=True)
    late = fields.Boolean(required=True, metadata={"description": "A late declaration (« Déclaration tardive »)"})


class DeclarationWriteSchema(Schema):
    """The counts the company declares (send If-Match with the ETag read)."""

    headcount = fields.Nested(CountsSchema, required=True)
    multi_employer = fields.Nested(CountsSchema, required=True)
    justifications = fields.Nested(JustificationsSchema, load_default=dict)
