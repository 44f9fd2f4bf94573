"""Read side: how appointments are listed and shown, from the request-bound session."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from portal_common.service import portal

from .domain import PROFESSIONAL_KINDS, STATUSES, VISIT_TYPES, WHEN_PAST, WHEN_UPCOMING
from .models import Appointment, EmployeeDirectoryEntry

LIST_LIMIT = 500
# Badge colour of each status on the pages.
STATUS_BADGES = {
    "demandee": "badge-neutral", "planifiee": "badge-info", "convoquee": "badge-info",
    "realisee": "badge-success", "absent_excuse": "badge-warning", "absent_non_excuse": "badge-danger",
    "annulee": "badge-neutral",
}

Row = tuple[Appointment, EmployeeDirectoryEntry | None]


def appointment_as_dict(appointment: Appointment, employee: EmployeeDirectoryEntry | None) -> dict[str, Any]:
    """The API shape; the employee's identity is null until workforce's event has arrived."""
    return {
        "id": appointment.id, "member_id": appointment.member_id, "employee_id": appointment.employee_id,
        "employee": {
            "last_name": employee.last_name if employee else None,
            "birth_name": employee.birth_name if employee else None,
            "first_names": employee.first_names if employee else None,
            "birth_date": employee.birth_date if employee else None,
        },
        "starts_at": appointment.starts_at, "duration_minutes": appointment.duration_minutes,
        "visit_type": appointment.visit_type, "visit_type_label": VISIT_TYPES[appointment.visit_type],
        "place": {"name": appointment.place_name, "address": appointment.place_address},
        "professional_kind": appointment.professional_kind,
        "professional_kind_label": PROFESSIONAL_KINDS[appointment.professional_kind],
        "status": appointment.status, "status_label": STATUSES[appointment.status],
        "created_at": appointment.created_at, "version": appointment.version,
    }


def _with_employee() -> Select:
    return select(Appointment, EmployeeDirectoryEntry).outerjoin(
        EmployeeDirectoryEntry, EmployeeDirectoryEntry.employee_id == Appointment.employee_id)


def get_appointment(appointment_id: str) -> Row | None:
    row = portal().db.session.execute(_with_employee().where(Appointment.id == appointment_id)).first()
    return (row[0], row[1]) if row else None


def list_appointments(*, member_id: str | None, when: str, now: datetime, employee_id: str | None = None) -> list[Row]:
    """Appointments of one company (all companies when member_id is None): upcoming soonest first, past latest first."""
    stmt = _with_employee()
    if member_id is not None:
        stmt = stmt.where(Appointment.member_id == member_id)
    if employee_id:
        stmt = stmt.where(Appointment.employee_id == employee_id)
    if when == WHEN_UPCOMING:
        stmt = stmt.where(Appointment.starts_at >= now).order_by(Appointment.starts_at, Appointment.id)
    elif when == WHEN_PAST:
        stmt = stmt.where(Appointment.starts_at < now).order_by(Appointment.starts_at.desc(), Appointment.id)
    else:
        stmt = stmt.order_by(Appointment.starts_at.desc(), Appointment.id)
    return [(a, e) for a, e in portal().db.session.execute(stmt.limit(LIST_LIMIT))]


def get_employee(employee_id: str) -> EmployeeDirectoryEntry | None:
    return portal().db.session.get(EmployeeDirectoryEntry, employee_id)


def company_employees(member_id: str) -> list[EmployeeDirectoryEntry]:
    """The employees of a company known here, for the page's filter."""
    stmt = (select(EmployeeDirectoryEntry).where(EmployeeDirectoryEntry.member_id == member_id)
            .order_by(EmployeeDirectoryEntry.last_name, EmployeeDirectoryEntry.first_names))
    return list(portal().db.session.scalars(stmt.limit(LIST_LIMIT)))
