"""JSON API of the workforce service (/api/workforce/)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.service import portal

from . import services, views
from .domain import HireCommand, HireRejected
from .schemas import EmployeeCreateSchema, EmployeeListArgsSchema, EmployeeSchema

blp = Blueprint("workforce_api", __name__, url_prefix="/api/workforce", description="Employees of member companies")

HIRING_MEMBER_ROLES = ("admin", "declaration")
HIRING_STAFF_ROLES = ("secretariat", "administration")


def _hiring_company(requested: str | None) -> str:
    """The company a hire is for: always the current one for member users; staff may name another."""
    principal = require_principal()
    if not principal.is_staff:
        if requested is not None:
            # Members never choose the company: the field is not part of their body at all.
            abort(422, message="Validation failed.", errors={"json": {"member_id": ["Unknown field."]}})
        return principal.member_id
    member_id = requested or principal.member_id
    if member_id is None:
        abort(422, message="Validation failed.",
              errors={"json": {"member_id": ["Required for staff without a current member company."]}})
    if requested is not None and views.get_member_entry(requested) is None:
        abort(422, message="Validation failed.", errors={"json": {"member_id": ["Unknown member company."]}})
    return member_id


@blp.route("/employees")
class Employees(MethodView):
    @member_or_staff()
    @blp.arguments(EmployeeListArgsSchema, location="query")
    @blp.response(200, EmployeeSchema(many=True))
    def get(self, args):
        """List the employees of the current company (staff: of `member_id`, or of every company)"""
        principal = require_principal()
        member_id = (args["member_id"] or principal.member_id) if principal.is_staff else principal.member_id
        today = services.today()
        filters = views.EmployeeFilter(status=args["status"], letter=args["letter"], query=args["q"])
        return [views.employee_as_dict(e, today) for e in views.list_employees(member_id, filters, today)]

    @member_or_staff(member_roles=HIRING_MEMBER_ROLES, staff_roles=HIRING_STAFF_ROLES)
    @blp.arguments(EmployeeCreateSchema)
    @blp.response(201, EmployeeSchema)
    def post(self, data):
        """Declare a hire in the current company; publishes workforce.employee.hired.v1"""
        member_id = _hiring_company(data.pop("member_id"))
        try:
            employee = services.hire_employee(portal(), member_id, HireCommand(**data))
        except HireRejected as exc:
            abort(422, message="Validation failed.", errors={"json": exc.errors})
        return views.employee_as_dict(employee, services.today())


@blp.route("/employees/<string:employee_id>")
class EmployeeById(MethodView):
    @member_or_staff()
    @blp.response(200, EmployeeSchema)
    def get(self, employee_id):
        """One employee: staff, or a user of the employee's company"""
        principal = require_principal()
        employee = views.get_employee(employee_id)
        # Another company's employee answers 404, exactly like a missing one (no enumeration).
        if employee is None or (not principal.is_staff and principal.member_id != employee.member_id):
            abort(404, message="Employee not found.")
        return views.employee_as_dict(employee, services.today())
