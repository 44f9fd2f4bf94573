"""JSON API of the identity service (/api/identity/)."""

from __future__ import annotations

from flask import abort, request
from flask.views import MethodView

from portal_common.access import AUTHENTICATED, member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.roles import MemberRole, StaffRole
from portal_common.service import portal

from ..security_log.rules import Client
from .schemas import EndedSessionsSchema, MeSchema
from .use_cases import end_user_sessions

blp = Blueprint("identity_api", __name__, url_prefix="/api/identity", description="Who is signed in")


@blp.route("/me")
class Me(MethodView):
    @AUTHENTICATED
    @blp.response(200, MeSchema)
    def get(self):
        """The signed-in user, the current member company and the roles held on it"""
        principal = require_principal()
        claims = principal.to_claims()
        claims.pop("session_ref")
        return claims


@blp.route("/users/<user_id>/sessions")
class UserSessions(MethodView):
    @member_or_staff(member_roles=(MemberRole.ADMIN,), staff_roles=(StaffRole.ADMINISTRATION,))
    @blp.response(200, EndedSessionsSchema)
    def delete(self, user_id: str):
        """End every session of a user: a company administrator for his company's users, or staff"""
        principal = require_principal()
        ended = end_user_sessions(
            portal(),
            user_id[:36],
            member_id=principal.member_id,
            actor_id=principal.user_id,
            client=Client.of(request),
            any_user=StaffRole.ADMINISTRATION in principal.staff_roles,
        )
        if ended is None:
            abort(404)
        return {"ended": ended}
