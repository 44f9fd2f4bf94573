"""Use cases of the scheduling service: the only place that commits."""
from __future__ import annotations

import uuid
from typing import Any, Iterable

from portal_common.clock import utcnow
from portal_common.service import Portal

from . import directory, events
from .domain import ScheduleCommand, check_schedule
from .models import Appointment, EmployeeDirectoryEntry, MemberDirectoryEntry


def scheduled_event(appointment: Appointment) -> dict[str, Any]:
    return {
        "appointment_id": appointment.id, "member_id": appointment.member_id,
        "employee_id": appointment.employee_id,
        "starts_at": appointment.starts_at.isoformat().replace("+00:00", "Z"),
        "visit_type": appointment.visit_type,
        "place": {"name": appointment.place_name, "address": appointment.place_address},
        "status": appointment.status, "version": appointment.version,
    }


def schedule_appointment(portal: Portal, command: ScheduleCommand, *, appointment_id: str | None = None) -> Appointment:
    """Staff schedule a visit for an employee the directory knows; raises AppointmentRejected."""
    with portal.uow() as tx:
        employee = tx.session.get(EmployeeDirectoryEntry, command.employee_id)
        cmd = check_schedule(command, employee_member_id=employee.member_id if employee else None, now=utcnow())
        appointment = Appointment(
            id=appointment_id or str(uuid.uuid4()), member_id=cmd.member_id, employee_id=cmd.employee_id,
            starts_at=cmd.starts_at, duration_minutes=cmd.duration_minutes, visit_type=cmd.visit_type,
            place_name=cmd.place.name, place_address=cmd.place.address, professional_kind=cmd.professional_kind,
            status=cmd.status, created_at=utcnow(), version=1,
        )
        tx.session.add(appointment)
        tx.session.flush()
        tx.record(events.APPOINTMENT_SCHEDULED, subject=appointment.id, member_id=appointment.member_id,
                  data=scheduled_event(appointment))
        tx.commit()
        return appointment


def seed_directory(portal: Portal, members: Iterable[dict[str, Any]], employees: Iterable[dict[str, Any]]) -> int:
    """Demo only: add directory entries that are absent, at version 1, so the real events become no-ops.

    Returns how many entries were added.
    """
    added = 0
    with portal.uow() as tx:
        for values in members:
            added += directory.add_if_absent(tx.session, MemberDirectoryEntry, values)
        for values in employees:
            added += directory.add_if_absent(tx.session, EmployeeDirectoryEntry, values)
        tx.commit()
    return added
