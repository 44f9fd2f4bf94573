"""JSON API of a company's changes of situation."""

from __future__ import annotations

from flask.views import MethodView

from portal_common.service import portal

from ..record import queries as record_queries
from ..record.schemas import ChangeRequestSchema
from ..web import EDITORS, actor, blp, visible_member
from .schemas import SituationInSchema
from .use_cases import declare_situation


@blp.route("/members/<string:member_id>/situation-changes")
@EDITORS  # class rule: answers OPTIONS, which a POST-only view has no method for
class SituationChanges(MethodView):
    @EDITORS
    @blp.arguments(SituationInSchema)
    @blp.response(201, ChangeRequestSchema)
    def post(self, data, member_id):
        """Declare a change of situation; staff process it, then members.situation.changed.v1 is published"""
        visible_member(member_id)
        request = declare_situation(portal(), member_id, data, actor())
        return record_queries.request_as_dict(request)
