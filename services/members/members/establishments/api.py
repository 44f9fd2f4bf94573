"""JSON API of the companies a user manages from the current one."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member, require_principal
from portal_common.roles import EVERY_MEMBER_ROLE
from portal_common.service import portal

from ..record import queries as record_queries
from ..web import blp
from . import clients, queries
from .rules import establishment_rows
from .schemas import EstablishmentListSchema


@blp.route("/establishments")
class Establishments(MethodView):
    @member(*EVERY_MEMBER_ROLE)
    @blp.response(200, EstablishmentListSchema)
    def get(self):
        """The current company, its establishments (same SIREN) and the companies the user is linked to
        (an accounting firm's clients), each saying whether the user can switch to it"""
        principal = require_principal()
        current = record_queries.get_member(principal.member_id)
        if current is None:
            abort(404, message="No current member company.")
        links = clients.member_links(portal(), principal.user_id)
        linked = queries.members_by_id([link["member_id"] for link in links or []])
        rows = establishment_rows(current, queries.same_siren(current), linked, links)
        return {"complete": links is not None, "items": [vars(row) for row in rows]}
