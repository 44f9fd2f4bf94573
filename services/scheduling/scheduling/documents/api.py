"""JSON API of the documents (/api/scheduling/documents)."""

from __future__ import annotations

from flask.views import MethodView

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.roles import EMPLOYEE_READERS, EVERY_STAFF_ROLE

from .. import web
from .queries import document_as_dict, list_documents
from .schemas import DocumentSchema, MemberScopeArgsSchema

blp = Blueprint("scheduling_documents_api", __name__, url_prefix="/api/scheduling", description="Documents")


@blp.route("/documents")
class Documents(MethodView):
    @member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
    @blp.arguments(MemberScopeArgsSchema, location="query")
    @blp.response(200, DocumentSchema(many=True))
    def get(self, args):
        """Documents the company may see (convocations, attestations, avis); the PDF is at `download_path`"""
        principal = require_principal()
        return [document_as_dict(d) for d in list_documents(member_id=web.scope(principal, args["member_id"]))]
