"""JSON API of the visit requests (/api/scheduling/requests)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.clock import today
from portal_common.roles import EMPLOYEE_READERS, EVERY_STAFF_ROLE
from portal_common.service import portal

from .. import web
from ..appointments.rules import NotFound
from ..directory.queries import get_employee
from . import use_cases
from .queries import list_requests, request_as_dict
from .rules import RequestCommand, RequestRejected
from .schemas import RequestClosureSchema, RequestCreateSchema, RequestListArgsSchema, RequestSchema

blp = Blueprint("scheduling_requests_api", __name__, url_prefix="/api/scheduling", description="Visit requests")


@blp.route("/requests")
class Requests(MethodView):
    @member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
    @blp.arguments(RequestListArgsSchema, location="query")
    @blp.response(200, RequestSchema(many=True))
    def get(self, args):
        """Visit requests (open ones by default)"""
        principal = require_principal()
        rows = list_requests(member_id=web.scope(principal, args["member_id"]), open_only=args["open_only"])
        return [request_as_dict(r, e) for r, e in rows]

    @web.REQUESTERS
    @blp.arguments(RequestCreateSchema)
    @blp.response(201, RequestSchema)
    @blp.alt_response(409, description="The same visit is already asked for this employee (existing_id names it)")
    def post(self, data):
        """Request a visit for an employee of the current company; publishes scheduling.appointment.requested.v1"""
        principal = require_principal()
        if not principal.member_id:
            raise RequestRejected({"member_id": "Choisissez d'abord un adhérent."})
        request = use_cases.request_visit(
            portal(), RequestCommand(member_id=principal.member_id, **data), today=today()
        )
        return request_as_dict(request, get_employee(request.employee_id))


@blp.route("/requests/<string:request_id>/withdrawal")
class RequestWithdrawal(MethodView):
    @web.REQUESTERS
    @blp.response(200, RequestSchema)
    def post(self, request_id):
        """Withdraw a request not yet placed"""
        principal = require_principal()
        try:
            request = use_cases.withdraw_request(
                portal(), request_id, member_id=None if principal.is_staff else principal.member_id
            )
        except NotFound:
            abort(404, message="Demande introuvable.")
        return request_as_dict(request, get_employee(request.employee_id))


@blp.route("/requests/<string:request_id>/closure")
@web.SCHEDULERS  # class rule: answers OPTIONS, which a POST-only view has no method for
class RequestClosure(MethodView):
    @web.SCHEDULERS
    @blp.arguments(RequestClosureSchema)
    @blp.response(200, RequestSchema)
    def post(self, data, request_id):
        """Staff close or refuse a request not yet placed, with the reason the employer reads"""
        try:
            request = use_cases.close_request(portal(), request_id, data["reason"])
        except NotFound:
            abort(404, message="Demande introuvable.")
        return request_as_dict(request, get_employee(request.employee_id))
