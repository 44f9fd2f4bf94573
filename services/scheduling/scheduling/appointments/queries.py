"""Read side of the appointments, from the request-bound session."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select

from portal_common.clock import PARIS
from portal_common.service import portal

from ..models import Appointment, EmployeeDirectoryEntry, OutcomeCorrection
from .rules import (
    OPEN_STATUSES,
    OUTCOME_STATUSES,
    PROFESSIONAL_KINDS,
    STATUSES,
    VISIT_TYPES,
    AppointmentStatus,
    When,
    cancellation_reason_label,
    left_before_visit,
)

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
        "cancellation": cancellation_as_dict(appointment),
    }


def cancellation_as_dict(appointment: Appointment) -> dict[str, Any] | None:
    if appointment.status != AppointmentStatus.ANNULEE:
        return None
    return {
        "cancelled_at": appointment.cancelled_at,
        "cancelled_by": appointment.cancelled_by,
        "reason_code": appointment.cancellation_reason_code,
        "reason_label": cancellation_reason_label(
            appointment.cancellation_reason_code, appointment.cancellation_reason_text
        ),
        "reason_text": appointment.cancellation_reason_text,
    }


def with_employee() -> Select:
    """Appointments with their employee's directory entry (None until workforce's event has arrived)."""
    return select(Appointment, EmployeeDirectoryEntry).outerjoin(
        EmployeeDirectoryEntry, EmployeeDirectoryEntry.employee_id == Appointment.employee_id
    )


def visit_day(appointment: Appointment) -> date:
    """The French calendar day of the visit."""
    return appointment.starts_at.astimezone(PARIS).date()


def left_employees(rows: list[Row]) -> dict[str, date]:
    """Among these visits, those not yet held whose employee left on or before the visit day: the exit date."""
    return {
        a.id: e.exit_date
        for a, e in rows
        if e is not None and e.exit_date is not None and left_before_visit(a.status, e.exit_date, visit_day(a))
    }


def upcoming_after_exit(*, now: datetime) -> list[Row]:
    """Staff's cue: visits to come, still planned or convoked, of employees who left the company meanwhile."""
    stmt = (
        with_employee()
        .where(
            Appointment.starts_at >= now,
            Appointment.status.in_(tuple(OPEN_STATUSES)),
            EmployeeDirectoryEntry.exit_date.is_not(None),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(LIST_LIMIT)
    )
    rows = [(a, e) for a, e in portal().db.session.execute(stmt)]
    left = left_employees(rows)
    return [(a, e) for a, e in rows if a.id in left]


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


def recorded_visits(*, now: datetime, days: int) -> list[Row]:
    """Visits of the last `days` days whose outcome is noted, latest first: the ones staff may still correct."""
    stmt = (
        with_employee()
        .where(
            Appointment.starts_at <= now,
            Appointment.starts_at > now - timedelta(days=days),
            Appointment.status.in_(OUTCOME_STATUSES),
        )
        .order_by(Appointment.starts_at.desc(), Appointment.id)
        .limit(LIST_LIMIT)
    )
    return [(a, e) for a, e in portal().db.session.execute(stmt)]


def upcoming_convocations(*, now: datetime) -> list[Row]:
    """Visits to come still to be held, soonest first: staff open one to cancel or move it."""
    stmt = (
        with_employee()
        .where(Appointment.starts_at > now, Appointment.status.in_(OPEN_STATUSES))
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(LIST_LIMIT)
    )
    return [(a, e) for a, e in portal().db.session.execute(stmt)]


def recent_cancellations(*, now: datetime, days: int) -> list[Row]:
    """Visits cancelled in the last `days` days, latest first, with who cancelled and why."""
    stmt = (
        with_employee()
        .where(Appointment.status == AppointmentStatus.ANNULEE, Appointment.cancelled_at > now - timedelta(days=days))
        .order_by(Appointment.cancelled_at.desc(), Appointment.id)
        .limit(LIST_LIMIT)
    )
    return [(a, e) for a, e in portal().db.session.execute(stmt)]


def outcome_corrections(appointment_id: str) -> list[OutcomeCorrection]:
    """The appointment's history of corrected outcomes, oldest first."""
    return list(
        portal().db.session.scalars(
            select(OutcomeCorrection)
            .where(OutcomeCorrection.appointment_id == appointment_id)
            .order_by(OutcomeCorrection.corrected_at, OutcomeCorrection.id)
        )
    )
