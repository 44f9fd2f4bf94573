"""JSON API of the scheduling service (/api/scheduling/)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.api import Blueprint
from portal_common.clock import utcnow
from portal_common.service import portal

from . import services, views
from .domain import AppointmentRejected, Place, ScheduleCommand
from .schemas import AppointmentCreateSchema, AppointmentListArgsSchema, AppointmentSchema

blp = Blueprint("scheduling_api", __name__, url_prefix="/api/scheduling", description="Appointments")


@blp.route("/appointments")
class Appointments(MethodView):
    @member_or_staff()
    @blp.arguments(AppointmentListArgsSchema, location="query")
    @blp.response(200, AppointmentSchema(many=True))
    def get(self, args):
        """Appointments of the current company (staff: of `member_id`, or of every company)"""
        principal = require_principal()
        member_id = args["member_id"] if principal.is_staff else principal.member_id
        rows = views.list_appointments(member_id=member_id, when=args["when"], now=utcnow(),
                                       employee_id=args["employee_id"])
        return [views.appointment_as_dict(a, e) for a, e in rows]

    @staff("secretariat", "administration")
    @blp.arguments(AppointmentCreateSchema)
    @blp.response(201, AppointmentSchema)
    def post(self, data):
        """Schedule a visit (staff); publishes scheduling.appointment.scheduled.v1"""
        command = ScheduleCommand(**dict(data, place=Place(**data["place"])))
        try:
            appointment = services.schedule_appointment(portal(), command)
        except AppointmentRejected as exc:
            abort(422, message="Validation failed.", errors={"json": exc.errors})
        employee = views.get_employee(appointment.employee_id)
        return views.appointment_as_dict(appointment, employee)


@blp.route("/appointments/<string:appointment_id>")
class AppointmentById(MethodView):
    @member_or_staff()
    @blp.response(200, AppointmentSchema)
    def get(self, appointment_id):
        """One appointment: staff, or a user of its company"""
        principal = require_principal()
        row = views.get_appointment(appointment_id)
        # Another company's appointment answers 404, exactly like a missing one (no enumeration).
        if row is None or (not principal.is_staff and row[0].member_id != principal.member_id):
            abort(404, message="Appointment not found.")
        return views.appointment_as_dict(*row)
