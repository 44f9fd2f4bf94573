"""JSON API of the scheduling service (/api/scheduling/)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from datetime import timedelta

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.api import Blueprint
from portal_common.clock import utcnow
from portal_common.formats import PARIS
from portal_common.service import portal

from . import services, views
from .domain import AppointmentRejected, Place, PlacementRejected, ScheduleCommand, SlotCommand
from .schemas import (AppointmentCreateSchema, AppointmentListArgsSchema, AppointmentSchema, DocumentSchema,
                      MemberScopeArgsSchema, ObligationListArgsSchema, ObligationSchema, OutcomeSchema,
                      PlacementSchema, RequestCreateSchema, RequestListArgsSchema, RequestSchema, SlotCreateSchema,
                      SlotSchema)
from .visit_requests import RequestCommand, RequestRejected

blp = Blueprint("scheduling_api", __name__, url_prefix="/api/scheduling", description="Appointments")

# Employer users who organise visits; readers see them. Staff who schedule; any staff reads.
REQUESTERS = member_or_staff(member_roles=("admin", "convocation"), staff_roles=("secretariat", "administration"))
SCHEDULERS = staff("secretariat", "administration")


def today():
    return utcnow().astimezone(PARIS).date()


def scope(principal, asked_member_id):
    """The company a call reads: staff may name one (or none: all), a member user only ever its own."""
    return asked_member_id if principal.is_staff else principal.member_id


def reject(exc):
    abort(422, message="Validation failed.", errors={"json": exc.errors})


@blp.route("/appointments")
class Appointments(MethodView):
    @member_or_staff()
    @blp.arguments(AppointmentListArgsSchema, location="query")
    @blp.response(200, AppointmentSchema(many=True))
    def get(self, args):
        """Appointments of the current company (staff: of `member_id`, or of every company)"""
        principal = require_principal()
        rows = views.list_appointments(member_id=scope(principal, args["member_id"]), when=args["when"], now=utcnow(),
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
            reject(exc)
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


@blp.route("/obligations")
class Obligations(MethodView):
    @member_or_staff()
    @blp.arguments(ObligationListArgsSchema, location="query")
    @blp.response(200, ObligationSchema(many=True))
    def get(self, args):
        """Visits due for the company's employees, soonest first (staff: of `member_id`, or all)"""
        principal = require_principal()
        day = today()
        within = args["within_days"]
        rows = views.list_obligations(member_id=scope(principal, args["member_id"]),
                                      due_before=day + timedelta(days=within) if within is not None else None,
                                      employee_id=args["employee_id"])
        planned = views.planned_visits(o.employee_id for o, _ in rows)
        return [views.obligation_as_dict(o, e, today=day, planned=planned) for o, e in rows]


@blp.route("/requests")
class Requests(MethodView):
    @member_or_staff()
    @blp.arguments(RequestListArgsSchema, location="query")
    @blp.response(200, RequestSchema(many=True))
    def get(self, args):
        """Visit requests (open ones by default)"""
        principal = require_principal()
        rows = views.list_requests(member_id=scope(principal, args["member_id"]), open_only=args["open_only"])
        return [views.request_as_dict(r, e) for r, e in rows]

    @REQUESTERS
    @blp.arguments(RequestCreateSchema)
    @blp.response(201, RequestSchema)
    def post(self, data):
        """Request a visit for an employee of the current company; publishes scheduling.appointment.requested.v1"""
        principal = require_principal()
        if not principal.member_id:
            abort(422, message="Validation failed.", errors={"json": {"member_id": "Choisissez d'abord un adhérent."}})
        try:
            request = services.request_visit(portal(), RequestCommand(member_id=principal.member_id, **data),
                                             today=today())
        except RequestRejected as exc:
            reject(exc)
        return views.request_as_dict(request, views.get_employee(request.employee_id))


@blp.route("/requests/<string:request_id>/withdrawal")
class RequestWithdrawal(MethodView):
    @REQUESTERS
    @blp.response(200, RequestSchema)
    def post(self, request_id):
        """Withdraw a request not yet placed"""
        principal = require_principal()
        try:
            request = services.withdraw_request(portal(), request_id,
                                                member_id=None if principal.is_staff else principal.member_id)
        except services.NotFound:
            abort(404, message="Request not found.")
        except services.CancellationRefused as exc:
            reject(exc)
        return views.request_as_dict(request, views.get_employee(request.employee_id))


@blp.route("/appointments/<string:appointment_id>/cancellation")
class AppointmentCancellation(MethodView):
    @REQUESTERS
    @blp.response(200, AppointmentSchema)
    def post(self, appointment_id):
        """Cancel a visit: the employer up to N jours ouvrés before it (422 with the limit otherwise)"""
        principal = require_principal()
        try:
            appointment = services.cancel_appointment(
                portal(), appointment_id, member_id=None if principal.is_staff else principal.member_id,
                today=today())
        except services.NotFound:
            abort(404, message="Appointment not found.")
        except services.CancellationRefused as exc:
            reject(exc)
        return views.appointment_as_dict(*views.get_appointment(appointment.id))


@blp.route("/appointments/<string:appointment_id>/outcome")
class AppointmentOutcome(MethodView):
    @SCHEDULERS
    @blp.arguments(OutcomeSchema)
    @blp.response(200, AppointmentSchema)
    def post(self, data, appointment_id):
        """Record attendance; an unexcused absence publishes scheduling.appointment.missed.v1"""
        try:
            appointment = services.record_outcome(portal(), appointment_id, data["status"])
        except services.NotFound:
            abort(404, message="Appointment not found.")
        except AppointmentRejected as exc:
            reject(exc)
        return views.appointment_as_dict(*views.get_appointment(appointment.id))


@blp.route("/slots")
class Slots(MethodView):
    @staff()
    @blp.response(200, SlotSchema(many=True))
    def get(self):
        """Slots to come, with how many visits they hold"""
        return [views.slot_as_dict(slot, booked) for slot, booked in views.list_slots(now=utcnow())]

    @SCHEDULERS
    @blp.arguments(SlotCreateSchema)
    @blp.response(201, SlotSchema)
    def post(self, data):
        """Open a slot for a professional of a centre"""
        try:
            slot = services.create_slot(portal(), SlotCommand(**dict(data, centre=Place(**data["centre"]))))
        except AppointmentRejected as exc:
            reject(exc)
        return views.slot_as_dict(slot, 0)


@blp.route("/slots/<string:slot_id>/placements")
class SlotPlacements(MethodView):
    @SCHEDULERS
    @blp.arguments(PlacementSchema)
    @blp.response(201, AppointmentSchema)
    def post(self, data, slot_id):
        """Convoke a requested or due visit into the slot (PDF and e-mail to the convocation contact)"""
        try:
            appointment, _mailed = services.place_in_slot(portal(), slot_id, request_id=data["request_id"],
                                                          obligation_id=data["obligation_id"])
        except services.NotFound:
            abort(404, message="Slot, request or obligation not found.")
        except PlacementRejected as exc:
            reject(exc)
        return views.appointment_as_dict(*views.get_appointment(appointment.id))


@blp.route("/documents")
class Documents(MethodView):
    @member_or_staff()
    @blp.arguments(MemberScopeArgsSchema, location="query")
    @blp.response(200, DocumentSchema(many=True))
    def get(self, args):
        """Documents the company may see (convocations, attestations, avis); the PDF is at `download_path`"""
        principal = require_principal()
        return [views.document_as_dict(d) for d in views.list_documents(member_id=scope(principal, args["member_id"]))]
