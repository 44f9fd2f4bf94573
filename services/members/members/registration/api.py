"""JSON API of staff's member registry: list and register member companies (/api/members/members)."""

from __future__ import annotations

from flask.views import MethodView

from portal_common.access import staff
from portal_common.roles import EVERY_STAFF_ROLE, OFFICE_STAFF
from portal_common.service import portal

from ..record import queries as record_queries
from ..record.schemas import MemberSchema
from ..web import actor, blp
from .rules import Registration
from .schemas import MemberCreateSchema, MemberListArgsSchema
from .use_cases import register_member


@blp.route("/members")
class Members(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.arguments(MemberListArgsSchema, location="query")
    @blp.response(200, MemberSchema(many=True))
    def get(self, args):
        """List member companies (staff)"""
        return [record_queries.member_as_dict(m) for m in record_queries.list_members(args.get("q"))]

    @staff(*OFFICE_STAFF)
    @blp.arguments(MemberCreateSchema)
    @blp.response(201, MemberSchema)
    def post(self, data):
        """Register a member company (staff); publishes members.member.registered.v1"""
        member = register_member(portal(), Registration(**data), actor=actor())
        return record_queries.member_as_dict(member)
