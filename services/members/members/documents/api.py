"""JSON API of a company's documents space."""

from __future__ import annotations

from flask.views import MethodView

from portal_common.access import member_or_staff, require_principal
from portal_common.roles import EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE

from ..web import blp, visible_member
from . import queries
from .schemas import DocumentSchema


@blp.route("/members/<string:member_id>/documents")
class MemberDocuments(MethodView):
    @member_or_staff(EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE)
    @blp.response(200, DocumentSchema(many=True))
    def get(self, member_id):
        """The company's documents space: invoices, convocations, attestations (links to their owner) and
        the files it deposited"""
        visible_member(member_id)
        staff_view = require_principal().is_staff
        return queries.documents_listed(member_id, staff_view=staff_view)
