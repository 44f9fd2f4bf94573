"""Read side of the slots: those to come and how many visits they hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from portal_common.service import portal

from ..appointments.queries import LIST_LIMIT
from ..appointments.rules import PROFESSIONAL_KINDS, AppointmentStatus
from ..models import Appointment, Slot


def list_slots(*, now: datetime) -> list[tuple[Slot, int]]:
    """Slots to come with how many appointments they already hold."""
    taken = (
        select(Appointment.slot_id, func.count().label("n"))
        .where(Appointment.status != AppointmentStatus.ANNULEE)
        .group_by(Appointment.slot_id)
        .subquery()
    )
    stmt = (
        select(Slot, func.coalesce(taken.c.n, 0))
        .outerjoin(taken, taken.c.slot_id == Slot.id)
        .where(Slot.starts_at > now)
        .order_by(Slot.starts_at, Slot.id)
        .limit(LIST_LIMIT)
    )
    return [(slot, int(n)) for slot, n in portal().db.session.execute(stmt)]


def slot_as_dict(slot: Slot, booked: int) -> dict[str, Any]:
    return {
        "id": slot.id,
        "centre": {"name": slot.centre_name, "address": slot.centre_address},
        "professional_kind": slot.professional_kind,
        "professional_kind_label": PROFESSIONAL_KINDS[slot.professional_kind],
        "professional_name": slot.professional_name,
        "starts_at": slot.starts_at,
        "duration_minutes": slot.duration_minutes,
        "capacity": slot.capacity,
        "booked": booked,
        "closed": slot.closed_at is not None,
        "version": slot.version,
    }


def get_slot(slot_id: str) -> Slot | None:
    return portal().db.session.get(Slot, slot_id)


def move_targets(visit: Appointment, *, now: datetime) -> list[tuple[Slot, int]]:
    """Where staff may move the visit: open slots to come at its centre, of its professional kind, with room."""
    return [
        (slot, booked)
        for slot, booked in list_slots(now=now)
        if slot.id != visit.slot_id
        and slot.closed_at is None
        and booked < slot.capacity
        and slot.centre_name == visit.place_name
        and slot.professional_kind == visit.professional_kind
    ]
