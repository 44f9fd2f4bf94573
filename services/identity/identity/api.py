"""JSON API of the identity service (/api/identity/)."""
from __future__ import annotations

from flask.views import MethodView

from portal_common.access import AUTHENTICATED, require_principal
from portal_common.api import Blueprint

from .schemas import MeSchema

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
