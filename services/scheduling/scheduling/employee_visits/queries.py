"""Each employee's last visit and next visit due, for workforce's employee list: dates only, never a medical
detail (the outcome of a visit stays in scheduling's medical side, not here)."""

from __future__ import annotations

from sqlalchemy import func, select

from portal_common.db import is_any_of
from portal_common.service import portal

from ..appointments.rules import AppointmentStatus
from ..models import Appointment, VisitObligation


def visit_dates(member_id: str, employee_ids: list[str]) -> dict[str, dict[str, str | None]]:
    """Two grouped queries for the whole page of employees, read within the company only; the page's ids go as one
    array (the same statement for every page, prepared once, where an `IN` of 50 placeholders is parsed each time)."""
    if not employee_ids:
        return {}
    session = portal().db.session
    last = dict(
        session.execute(
            select(Appointment.employee_id, func.max(Appointment.starts_at))
            .where(
                Appointment.member_id == member_id,
                is_any_of(session, Appointment.employee_id, employee_ids),
                Appointment.status == AppointmentStatus.REALISEE,
            )
            .group_by(Appointment.employee_id)
        ).all()
    )
    due = dict(
        session.execute(
            select(VisitObligation.employee_id, func.min(VisitObligation.due_on))
            .where(
                VisitObligation.member_id == member_id, is_any_of(session, VisitObligation.employee_id, employee_ids)
            )
            .group_by(VisitObligation.employee_id)
        ).all()
    )
    return {
        employee_id: {
            "last_visit_at": last[employee_id].isoformat() if last.get(employee_id) else None,
            "next_due_on": due[employee_id].isoformat() if due.get(employee_id) else None,
        }
        for employee_id in employee_ids
    }
