"""JSON API of the annual headcount declaration (/api/workforce/declarations, /api/workforce/campaigns).

Optimistic concurrency: a declaration answers an ETag (its version); saving or confirming it needs If-Match
with that ETag (428 without it, 412 when someone else saved meanwhile).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member, require_principal, staff
from portal_common.api import Blueprint, expected_version, version_etag
from portal_common.clock import today
from portal_common.roles import EMPLOYEE_KEEPERS, EMPLOYEE_READERS, EVERY_STAFF_ROLE, OFFICE_STAFF
from portal_common.service import portal

from . import queries, use_cases
from .rules import CampaignCommand, DeclarationEntry, DeclarationRefused, StaleDeclaration
from .schemas import (
    CampaignClosureSchema,
    CampaignCreateSchema,
    CampaignProgressSchema,
    CampaignSchema,
    DeclarationSchema,
    DeclarationSummarySchema,
    DeclarationWriteSchema,
)

STALE_DECLARATION = (
    "La déclaration a été modifiée par quelqu'un d'autre depuis votre lecture : relisez-la, rien n'a été enregistré."
)

blp = Blueprint(
    "workforce_declarations_api",
    __name__,
    url_prefix="/api/workforce",
    description="Annual headcount declarations and their campaigns",
)

CAMPAIGN_STAFF = staff(*OFFICE_STAFF)
ETAG_HEADERS = {"ETag": {"schema": {"type": "string"}, "description": "The declaration's version, for If-Match"}}


def etag_of(version: int) -> str:
    return version_etag(version)


def _expected_version() -> int | None:
    return expected_version(
        required="En-tête If-Match obligatoire : renvoyez l'ETag de la déclaration lue.", stale=STALE_DECLARATION
    )


def _campaign(year: int):
    campaign = queries.campaign_of(year)
    if campaign is None:
        abort(404, message="Aucune campagne pour cette année.")
    return campaign


def _declaration(year: int) -> tuple[dict, dict]:
    member_id = require_principal().member_id
    campaign = _campaign(year)
    row = queries.declaration_row(campaign, member_id)
    shown = queries.declaration_as_dict(campaign, row, member_id, today())
    return shown, {"ETag": etag_of(shown["version"])}


def _entry(data: dict) -> DeclarationEntry:
    return DeclarationEntry(
        headcount=data["headcount"],
        multi_employer=data["multi_employer"],
        justifications={k: v for k, v in data["justifications"].items() if v},
    )


def _write(year: int, data: dict, *, confirming: bool):
    principal = require_principal()
    _campaign(year)
    expected_version = _expected_version()
    use_case = use_cases.confirm_declaration if confirming else use_cases.save_declaration
    try:
        use_case(
            portal(),
            principal.member_id,
            year,
            _entry(data),
            expected_version=expected_version,
            actor=principal.user_id,
        )
    except DeclarationRefused as exc:
        abort(409, message=exc.reason)
    except StaleDeclaration:
        abort(412, message=STALE_DECLARATION)
    return _declaration(year)


@blp.route("/declarations")
class Declarations(MethodView):
    @member(*EMPLOYEE_READERS)
    @blp.response(200, DeclarationSummarySchema(many=True))
    def get(self):
        """The current company's declaration of every campaign, newest year first"""
        return queries.member_declarations(require_principal().member_id, today())


@blp.route("/declarations/<int(min=2000, max=2100):year>")
class DeclarationOfYear(MethodView):
    @member(*EMPLOYEE_READERS)
    @blp.response(200, DeclarationSchema, headers=ETAG_HEADERS)
    def get(self, year):
        """The current company's declaration of a year (prefilled from the employee list at 1 January)"""
        return _declaration(year)

    @member(*EMPLOYEE_KEEPERS)
    @blp.arguments(DeclarationWriteSchema)
    @blp.response(200, DeclarationSchema, headers=ETAG_HEADERS)
    @blp.alt_response(409, description="Not enterable now (window, campaign closed, already confirmed)")
    @blp.alt_response(412, description="Someone else saved it since it was read")
    @blp.alt_response(428, description="If-Match missing")
    def put(self, data, year):
        """Save the draft ("En cours"); needs If-Match with the ETag read"""
        return _write(year, data, confirming=False)


@blp.route("/declarations/<int(min=2000, max=2100):year>/confirmation")
@member(*EMPLOYEE_KEEPERS)  # also the rule of the OPTIONS request Flask answers for this POST-only resource
class DeclarationConfirmation(MethodView):
    @member(*EMPLOYEE_KEEPERS)
    @blp.arguments(DeclarationWriteSchema)
    @blp.response(200, DeclarationSchema, headers=ETAG_HEADERS)
    @blp.alt_response(409, description="Not enterable now (window, campaign closed, already confirmed)")
    @blp.alt_response(412, description="Someone else saved it since it was read")
    @blp.alt_response(428, description="If-Match missing")
    def post(self, data, year):
        """Save and confirm (read-only afterwards); publishes workforce.declaration.confirmed.v1"""
        return _write(year, data, confirming=True)


def _with_progress(campaign) -> dict:
    counts, _companies = queries.progress(campaign, today())
    return dict(queries.campaign_as_dict(campaign), progress=counts)


@blp.route("/campaigns")
class Campaigns(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.response(200, CampaignProgressSchema(many=True))
    def get(self):
        """Every campaign, newest year first, with the companies per declaration status (staff)"""
        return [_with_progress(c) for c in queries.all_campaigns()]

    @CAMPAIGN_STAFF
    @blp.arguments(CampaignCreateSchema)
    @blp.response(201, CampaignSchema)
    def post(self, data):
        """Open the campaign of a year; publishes workforce.campaign.opened.v1 and e-mails the companies"""
        campaign, _mailed = use_cases.open_campaign(
            portal(), CampaignCommand(**data), actor=require_principal().user_id
        )
        return queries.campaign_as_dict(campaign)


@blp.route("/campaigns/<int(min=2000, max=2100):year>")
class CampaignOfYear(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.response(200, CampaignProgressSchema)
    def get(self, year):
        """One campaign with the companies per declaration status (staff)"""
        return _with_progress(_campaign(year))


@blp.route("/campaigns/<int(min=2000, max=2100):year>/closure")
@CAMPAIGN_STAFF  # also the rule of the OPTIONS request Flask answers for this POST-only resource
class CampaignClosure(MethodView):
    @CAMPAIGN_STAFF
    @blp.response(200, CampaignClosureSchema)
    @blp.alt_response(409, description="Already closed")
    def post(self, year):
        """Close the campaign; publishes workforce.campaign.closed.v1 with the companies that did not declare"""
        _campaign(year)
        try:
            campaign, undeclared = use_cases.close_campaign(portal(), year, actor=require_principal().user_id)
        except DeclarationRefused as exc:
            abort(409, message=exc.reason)
        return dict(queries.campaign_as_dict(campaign), undeclared=undeclared)
