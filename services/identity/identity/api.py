"""JSON API of the identity service (/api/identity/)."""
from __future__ import annotations

from flask import abort, request
from flask.views import MethodView

from portal_common.access import AUTHENTICATED, member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.service import portal

from . import sessions
from .models import MemberLink, User
from .schemas import EndedSessionsSchema, MeSchema
from .security_log import Client, record

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
    @member_or_staff(member_roles=("admin",), staff_roles=("administration",))
    @blp.response(200, EndedSessionsSchema)
    def delete(self, user_id: str):
        """End every session of a user: a company administrator for his company's users, or staff"""
        principal = require_principal()
        with portal().uow() as tx:
            user = tx.session.get(User, user_id[:36])
            reachable = user is not None and ("administration" in principal.staff_roles or tx.session.get(
                MemberLink, (user.id, principal.member_id)) is not None)
            if not reachable:
                abort(404)
            ended = sessions.end_sessions(tx.session, user.id)
            record(tx.session, "sessions_ended_by_admin", "success", Client.of(request), user_id=user.id,
                   actor_id=principal.user_id, member_id=principal.member_id)
            tx.commit()
        return {"ended": ended}
