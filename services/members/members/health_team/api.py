"""JSON API of the centres and of a company's health team."""

from __future__ import annotations

from flask.views import MethodView

from portal_common.access import member_or_staff, staff
from portal_common.roles import EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE

from ..web import blp, visible_member
from . import queries
from .schemas import CentreSchema, HealthTeamSchema


@blp.route("/members/<string:member_id>/health-team")
class MemberHealthTeam(MethodView):
    @member_or_staff(EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE)
    @blp.response(200, HealthTeamSchema)
    def get(self, member_id):
        """The company's centre, médecin, secrétaire, préventeur, infirmier (IDEST) and the service's mailboxes"""
        visible_member(member_id)
        return queries.health_team(member_id)


@blp.route("/centres")
class Centres(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.response(200, CentreSchema(many=True))
    def get(self):
        """The service's centres (staff)"""
        return [queries.centre_as_dict(c) for c in queries.centres()]
