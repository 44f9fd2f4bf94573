"""Read side of the appointments, from the request-bound session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from portal_common.service import portal

from ..models import Appointment, EmployeeDirectoryEntry
from .rules import OPEN_STATUSES, PROFESSIONAL_KINDS, STATUSES, VISIT_TYPES, AppointmentStatus, When

# No list the pages or the API show is longer.
LIST_LIMIT = 500
# Badge colour of each status on the pages.
STATUS_BADGES = {
    AppointmentStatus.DEMANDEE: "badge-neutral",
    AppointmentStatus.PLANIFIEE: "badge-info",
    AppointmentStatus.CONVOQUEE: "badge-info",
    AppointmentStatus.REALISEE: "badge-success",
    AppointmentStatus.ABSENT_EXCUSE: "badge-warning",
    AppointmentStatus.ABSENT_NON_EXCUSE: "badge-danger",
    AppointmentStatus.ANNULEE: "badge-neutral",
}

Row = tuple[Appointment, EmployeeDirectoryEntry | None]


def appointment_as_dict(appointment: Appointment, employee: EmployeeDirectoryEntry | None) -> dict[str, Any]:
    """The API shape; the employee's identity is null until workforce's event has arrived."""
    return {
        "id": appointment.id,
        "member_id": appointment.member_id,
        "employee_id": appointment.employee_id,
        "employee": {
            "last_name": employee.last_name if employee else None,
            "birth_name": employee.birth_name if employee else None,
            "first_names": employee.first_names if employee else None,
            "birth_date": employee.birth_date if employee else None,
        },
        "starts_at": appointment.starts_at,
        "duration_minutes": appointment.duration_minutes,
        "visit_type": appointment.visit_type,
        "visit_type_label": VISIT_TYPES[appointment.visit_type],
        "place": {"name": appointment.place_name, "address": appointment.place_address},
        "professional_kind": appointment.professional_kind,
        "professional_kind_label": PROFESSIONAL_KINDS[appointment.professional_kind],
        "status": appointment.status,
        "status_label": STATUSES[appointment.status],
        "created_at": appointment.created_at,
        "version": appointment.version,
    }


def with_employee() -> Select:
    """Appointments with their employee's directory entry (None until workforce's event has arrived)."""
    return select(Appointment, EmployeeDirectoryEntry).outerjoin(
        EmployeeDirectoryEntry, EmployeeDirectoryEntry.employee_id == Appointment.employee_id
    )


def get_appointment(appointment_id: str) -> Row | None:
    row = portal().db.session.execute(with_employee().where(Appointment.id == appointment_id)).first()
    return (row[0], row[1]) if row else None


def list_appointments(*, member_id: str | None, when: str, now: datetime, employee_id: str | None = None) -> list[Row]:
    """Appointments of one company (all companies when member_id is None): upcoming soonest first, past latest first."""
    stmt = with_employee()
    if member_id is not None:
        stmt = stmt.where(Appointment.member_id == member_id)
    if employee_id:
        stmt = stmt.where(Appointment.employee_id == employee_id)
    if when == When.UPCOMING:
        stmt = stmt.where(Appointment.starts_at >= now).order_by(Appointment.starts_at, Appointment.id)
    elif when == When.PAST:
        stmt = stmt.where(Appointment.starts_at < now).order_by(Appointment.starts_at.desc(), Appointment.id)
    else:
        stmt = stmt.order_by(Appointment.starts_at.desc(), Appointment.id)
    return [(a, e) for a, e in portal().db.session.execute(stmt.limit(LIST_LIMIT))]


def visits_to_record(*, now: datetime) -> list[Row]:
    """Visits whose time has passed and whose attendance staff have not noted yet."""
    stmt = (
        with_employee()
        .where(Appointment.starts_at <= now, Appointment.status.in_(OPEN_STATUSES))
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(LIST_LIMIT)
    )
    return [(a, e) for a, e in portal().db.session.execute(stmt)]
