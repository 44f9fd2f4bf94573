"""JSON API of the company record and of its change requests (/api/members/)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.api import expected_version, version_etag
from portal_common.roles import EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE
from portal_common.service import portal

from ..web import EDITORS, actor, blp, visible_member
from . import queries
from .rules import DecisionRefused, NotFound, RecordConflict, StaleVersion
from .schemas import ChangeRequestSchema, DecisionSchema, MemberChangeSchema, MemberSchema
from .use_cases import changes

ETAG_HEADERS = {"ETag": {"schema": {"type": "string"}, "description": "The record's version, for If-Match"}}
IF_MATCH_REQUIRED = "En-tête If-Match obligatoire : renvoyez l'ETag de la fiche adhérent que vous avez lue."
STALE = "La fiche adhérent a été modifiée depuis que vous l'avez lue : relisez-la (nouvel ETag) avant de la modifier."


@blp.route("/members/current")
class CurrentMember(MethodView):
    @member_or_staff(EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE)
    @blp.response(200, MemberSchema)
    def get(self):
        """The record of the current member company"""
        principal = require_principal()
        member = queries.get_member(principal.member_id) if principal.member_id else None
        if member is None:
            abort(404, message="No current member company.")
        return queries.member_as_dict(member)


@blp.route("/members/<string:member_id>")
class MemberById(MethodView):
    @member_or_staff(EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE)
    @blp.response(200, MemberSchema, headers=ETAG_HEADERS)
    def get(self, member_id):
        """One member company: staff, or a user of that company; its version as ETag, for If-Match"""
        member = visible_member(member_id)
        return queries.member_as_dict(member), 200, {"ETag": version_etag(member.version)}

    @EDITORS
    @blp.arguments(MemberChangeSchema)
    @blp.response(200, ChangeRequestSchema(many=True))
    @blp.alt_response(412, description="The record changed since it was read (If-Match stale)")
    @blp.alt_response(428, description="If-Match missing on a staff edit")
    def patch(self, data, member_id):
        """Change the record: a change request per decision (pending for staff validation, or applied). Staff's
        edits apply at once and need If-Match with the ETag read; a member user's If-Match is checked when sent
        (its request waits for staff, who see the record as it is then)."""
        visible_member(member_id)
        who = actor()
        expected = (
            expected_version(required=IF_MATCH_REQUIRED, stale=STALE)
            if who.is_staff or request.headers.get("If-Match")
            else None
        )
        try:
            created = changes.change_record(portal(), member_id, data, who, expected_version=expected)
        except StaleVersion:
            abort(412, message=STALE)
        return [queries.request_as_dict(r) for r in created]


@blp.route("/members/<string:member_id>/change-requests")
class MemberChangeRequests(MethodView):
    @EDITORS
    @blp.response(200, ChangeRequestSchema(many=True))
    def get(self, member_id):
        """The company's audit trail: every change, who asked, who validated (administrators and staff)"""
        visible_member(member_id)
        return [queries.request_as_dict(r) for r in queries.requests_of(member_id)]


@blp.route("/change-requests")
class PendingChangeRequests(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.response(200, ChangeRequestSchema(many=True))
    def get(self):
        """Staff's validation queue: every pending change request, oldest first"""
        return [queries.request_as_dict(r) for r, _member in queries.pending_requests()]


def decide(request_id: str, *, approve: bool, reason: str | None):
    try:
        request = changes.decide(portal(), request_id, actor(), approve=approve, reason=reason)
    except NotFound:
        abort(404, message="Demande de modification introuvable.")
    except DecisionRefused as exc:
        abort(exc.status, message=exc.message)
    except RecordConflict as exc:  # the SIRET or member number went to another company meanwhile
        abort(409, message="Conflict with another member company.", errors={"json": exc.errors})
    return queries.request_as_dict(request)


@blp.route("/change-requests/<string:request_id>/approve")
@staff(*EVERY_STAFF_ROLE)  # class rule: answers OPTIONS, which a POST-only view has no method for
class ApproveChangeRequest(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.arguments(DecisionSchema)
    @blp.response(200, ChangeRequestSchema)
    @blp.alt_response(
        409,
        description="Already decided, stale, or its SIRET / member number now belongs to another "
        "member company (errors.json names the field)",
    )
    def post(self, data, request_id):
        """Approve (another staff member than the requester): the change applies once and its event is published"""
        return decide(request_id, approve=True, reason=data.get("reason"))


@blp.route("/change-requests/<string:request_id>/reject")
@staff(*EVERY_STAFF_ROLE)  # class rule: answers OPTIONS, which a POST-only view has no method for
class RejectChangeRequest(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.arguments(DecisionSchema)
    @blp.response(200, ChangeRequestSchema)
    def post(self, data, request_id):
        """Reject with a reason the requester sees"""
        return decide(request_id, approve=False, reason=data.get("reason"))
