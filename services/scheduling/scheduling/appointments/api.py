"""JSON API of the appointments (/api/scheduling/appointments)."""

from __future__ import annotations

from collections.abc import Callable

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.clock import today, utcnow
from portal_common.roles import EMPLOYEE_READERS, EVERY_STAFF_ROLE
from portal_common.service import portal

from .. import web
from ..directory.queries import get_employee
from ..models import Appointment
from ..slots.use_cases import move_appointment
from . import use_cases
from .queries import appointment_as_dict, get_appointment, list_appointments
from .rules import NotFound, Place, ScheduleCommand
from .schemas import (
    AppointmentCreateSchema,
    AppointmentListArgsSchema,
    AppointmentSchema,
    CancellationSchema,
    MoveSchema,
    OutcomeCorrectionSchema,
    OutcomeSchema,
)

blp = Blueprint("scheduling_appointments_api", __name__, url_prefix="/api/scheduling", description="Appointments")


def _changed(change: Callable[[], Appointment], missing: str = "Rendez-vous introuvable.") -> dict:
    """The appointment as `change` leaves it (a use case given the version read, when it takes one); 404 with
    `missing` when the appointment (or the slot it moves to) is not found."""
    try:
        appointment = change()
    except NotFound:
        abort(404, message=missing)
    return appointment_as_dict(*get_appointment(appointment.id))


@blp.route("/appointments")
class Appointments(MethodView):
    @member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
    @blp.arguments(AppointmentListArgsSchema, location="query")
    @blp.response(200, AppointmentSchema(many=True))
    def get(self, args):
        """Appointments of the current company (staff: of `member_id`, or of every company)"""
        principal = require_principal()
        rows = list_appointments(
            member_id=web.scope(principal, args["member_id"]),
            when=args["when"],
            now=utcnow(),
            employee_id=args["employee_id"],
        )
        return [appointment_as_dict(a, e) for a, e in rows]

    @web.SCHEDULERS
    @blp.arguments(AppointmentCreateSchema)
    @blp.response(201, AppointmentSchema)
    def post(self, data):
        """Schedule a visit (staff); publishes scheduling.appointment.scheduled.v1"""
        command = ScheduleCommand(**dict(data, place=Place(**data["place"])))
        appointment = use_cases.schedule_appointment(portal(), command)
        return appointment_as_dict(appointment, get_employee(appointment.employee_id))


@blp.route("/appointments/<string:appointment_id>")
class AppointmentById(MethodView):
    @member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
    @blp.response(200, AppointmentSchema)
    def get(self, appointment_id):
        """One appointment: staff, or a user of its company"""
        principal = require_principal()
        row = get_appointment(appointment_id)
        # Another company's appointment answers 404, exactly like a missing one (no enumeration).
        if row is None or (not principal.is_staff and row[0].member_id != principal.member_id):
            abort(404, message="Rendez-vous introuvable.")
        return appointment_as_dict(*row)


@blp.route("/appointments/<string:appointment_id>/cancellation")
class AppointmentCancellation(MethodView):
    @web.REQUESTERS
    @blp.arguments(CancellationSchema)
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(409, description="Changed since the version read (moved or cancelled meanwhile)")
    def post(self, data, appointment_id):
        """Cancel a visit with a reason: the employer up to N jours ouvrés before it (422 with the limit otherwise)"""
        principal = require_principal()
        return _changed(
            lambda: use_cases.cancel_appointment(
                portal(),
                appointment_id,
                member_id=None if principal.is_staff else principal.member_id,
                today=today(),
                reason_code=data["reason_code"],
                reason_text=data["reason_text"],
                read_version=data["version"],
            )
        )


@blp.route("/appointments/<string:appointment_id>/move")
@web.SCHEDULERS  # class rule: answers OPTIONS, which a POST-only view has no method for
class AppointmentMove(MethodView):
    @web.SCHEDULERS
    @blp.arguments(MoveSchema)
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(409, description="Changed since the version read (moved or cancelled meanwhile), or slot full")
    def post(self, data, appointment_id):
        """Move a visit to come into another open slot (or, held outside any slot, to a new time) with a reason; a
        new convocation replaces the old one and scheduling.appointment.rescheduled.v1 is published"""
        return _changed(
            lambda: move_appointment(
                portal(),
                appointment_id,
                data["slot_id"],
                starts_at=data["starts_at"],
                read_version=data["version"],
                reason=data["reason"],
            ),
            "Rendez-vous ou créneau introuvable.",
        )


@blp.route("/appointments/<string:appointment_id>/outcome")
class AppointmentOutcome(MethodView):
    @web.SCHEDULERS
    @blp.arguments(OutcomeSchema)
    @blp.response(200, AppointmentSchema)
    def post(self, data, appointment_id):
        """Record attendance; an unexcused absence publishes scheduling.appointment.missed.v1"""
        return _changed(lambda: use_cases.record_outcome(portal(), appointment_id, data["status"]))


@blp.route("/appointments/<string:appointment_id>/outcome-correction")
@web.SCHEDULERS  # class rule: answers OPTIONS, which a POST-only view has no method for
class AppointmentOutcomeCorrection(MethodView):
    @web.SCHEDULERS
    @blp.arguments(OutcomeCorrectionSchema)
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(409, description="Changed since read (another correction): reload, nothing corrected")
    def post(self, data, appointment_id):
        """Correct a recorded outcome with a reason (audited); publishes scheduling.appointment.outcome_corrected.v1"""
        principal = require_principal()
        return _changed(
            lambda: use_cases.correct_outcome(
                portal(),
                appointment_id,
                data["status"],
                reason=data["reason"],
                read_version=data["version"],
                actor=principal.user_id,
                actor_name=principal.display_name,
            )
        )
