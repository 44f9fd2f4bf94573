"""JSON API of the slots (/api/scheduling/slots) and of the placements into them."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import staff
from portal_common.api import Blueprint
from portal_common.clock import utcnow
from portal_common.roles import EVERY_STAFF_ROLE
from portal_common.service import portal

from .. import web
from ..appointments.queries import appointment_as_dict, get_appointment
from ..appointments.rules import NotFound, Place
from ..appointments.schemas import AppointmentSchema
from . import use_cases
from .queries import list_slots, slot_as_dict
from .rules import SlotCommand
from .schemas import PlacementSchema, SlotCreateSchema, SlotMovedSchema, SlotMoveSchema, SlotSchema

blp = Blueprint("scheduling_slots_api", __name__, url_prefix="/api/scheduling", description="Slots")


@blp.route("/slots")
class Slots(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.response(200, SlotSchema(many=True))
    def get(self):
        """Slots to come, with how many visits they hold"""
        return [slot_as_dict(slot, booked) for slot, booked in list_slots(now=utcnow())]

    @web.SCHEDULERS
    @blp.arguments(SlotCreateSchema)
    @blp.response(201, SlotSchema)
    def post(self, data):
        """Open a slot for a professional of a centre"""
        slot = use_cases.create_slot(portal(), SlotCommand(**dict(data, centre=Place(**data["centre"]))))
        return slot_as_dict(slot, 0)


@blp.route("/slots/<string:slot_id>/placements")
class SlotPlacements(MethodView):
    @web.SCHEDULERS
    @blp.arguments(PlacementSchema)
    @blp.response(201, AppointmentSchema)
    def post(self, data, slot_id):
        """Convoke a requested or due visit into the slot (PDF and e-mail to the convocation contact)"""
        try:
            appointment, _mailed = use_cases.place_in_slot(
                portal(), slot_id, request_id=data["request_id"], obligation_id=data["obligation_id"]
            )
        except NotFound:
            abort(404, message="Créneau, demande ou visite due introuvable.")
        return appointment_as_dict(*get_appointment(appointment.id))


@blp.route("/slots/<string:slot_id>")
@web.SCHEDULERS  # class rule: answers OPTIONS, which a DELETE-only view has no method for
class SlotById(MethodView):
    @web.SCHEDULERS
    @blp.response(204)
    @blp.alt_response(409, description="The slot still holds visits: cancel them first, or close it")
    def delete(self, slot_id):
        """Delete a free slot"""
        try:
            use_cases.delete_slot(portal(), slot_id)
        except NotFound:
            abort(404, message="Créneau introuvable.")


@blp.route("/slots/<string:slot_id>/closure")
@web.SCHEDULERS  # class rule: answers OPTIONS, which a POST-only view has no method for
class SlotClosure(MethodView):
    @web.SCHEDULERS
    @blp.response(200, SlotSchema)
    @blp.alt_response(409, description="Already closed")
    def post(self, slot_id):
        """Close a slot: it takes no more visits, those it holds stay"""
        try:
            slot = use_cases.close_slot(portal(), slot_id)
        except NotFound:
            abort(404, message="Créneau introuvable.")
        return slot_as_dict(slot, slot.booked)


@blp.route("/slots/<string:slot_id>/move")
@web.SCHEDULERS  # class rule: answers OPTIONS, which a POST-only view has no method for
class SlotMove(MethodView):
    @web.SCHEDULERS
    @blp.arguments(SlotMoveSchema)
    @blp.response(200, SlotMovedSchema)
    @blp.alt_response(409, description="Changed since the version read (moved or closed meanwhile), or already past")
    def post(self, data, slot_id):
        """Move a slot to come to a new start with a reason: every visit it holds is convoked again (new PDF and
        e-mail « Votre convocation est modifiée ») and scheduling.appointment.rescheduled.v1 is published for each;
        the new start follows the rules of opening a slot and overlaps none of the professional's other slots"""
        try:
            slot, reconvoked = use_cases.move_slot(
                portal(), slot_id, starts_at=data["starts_at"], read_version=data["version"], reason=data["reason"]
            )
        except NotFound:
            abort(404, message="Créneau introuvable.")
        return slot_as_dict(slot, slot.booked) | {"reconvoked": reconvoked}
