"""JSON API of the members service (/api/members/)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.api import Blueprint
from portal_common.service import portal

from . import services, views
from .domain import Registration, RegistrationRejected
from .schemas import MemberCreateSchema, MemberListArgsSchema, MemberSchema

blp = Blueprint("members_api", __name__, url_prefix="/api/members", description="Member companies")


@blp.route("/members/current")
class CurrentMember(MethodView):
    @member_or_staff()
    @blp.response(200, MemberSchema)
    def get(self):
        """The record of the current member company"""
        principal = require_principal()
        member = views.get_member(principal.member_id) if principal.member_id else None
        if member is None:
            abort(404, message="No current member company.")
        return views.member_as_dict(member)


@blp.route("/members")
class Members(MethodView):
    @staff()
    @blp.arguments(MemberListArgsSchema, location="query")
    @blp.response(200, MemberSchema(many=True))
    def get(self, args):
        """List member companies (staff)"""
        return [views.member_as_dict(m) for m in views.list_members(args.get("q"))]

    @staff("secretariat", "administration")
    @blp.arguments(MemberCreateSchema)
    @blp.response(201, MemberSchema)
    def post(self, data):
        """Register a member company (staff); publishes members.member.registered.v1"""
        try:
            member = services.register_member(portal(), Registration(**data))
        except RegistrationRejected as exc:
            abort(422, message="Validation failed.", errors={"json": exc.errors})
        return views.member_as_dict(member)


@blp.route("/members/<string:member_id>")
class MemberById(MethodView):
    @member_or_staff()
    @blp.response(200, MemberSchema)
    def get(self, member_id):
        """One member company: staff, or a user of that company"""
        principal = require_principal()
        member = views.get_member(member_id)
        # Another company's record answers 404, exactly like a missing one (no enumeration).
        if member is None or (not principal.is_staff and principal.member_id != member_id):
            abort(404, message="Member not found.")
        return views.member_as_dict(member)
