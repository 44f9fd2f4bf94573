"""Read side of the obligations: what falls due, and whether a visit is already on its way."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select

from portal_common.service import portal

from ..appointments.queries import LIST_LIMIT
from ..appointments.rules import OPEN_STATUSES, VISIT_TYPES, AppointmentStatus
from ..models import Appointment, EmployeeDirectoryEntry, VisitObligation, VisitRequest
from ..visit_requests.rules import OPEN_REQUEST_STATUSES, RequestStatus
from .rules import RULE_LABELS, URGENCY_LABELS, urgency

ObligationRow = tuple[VisitObligation, EmployeeDirectoryEntry]


def list_obligations(
    *, member_id: str | None, due_before: date | None, employee_id: str | None = None, limit: int = LIST_LIMIT
) -> list[ObligationRow]:
    """Obligations soonest due first: one company's, or every company's for staff (member_id None)."""
    stmt = select(VisitObligation, EmployeeDirectoryEntry).join(
        EmployeeDirectoryEntry, EmployeeDirectoryEntry.employee_id == VisitObligation.employee_id
    )
    if member_id is not None:
        stmt = stmt.where(VisitObligation.member_id == member_id)
    if employee_id:
        stmt = stmt.where(VisitObligation.employee_id == employee_id)
    if due_before is not None:
        stmt = stmt.where(VisitObligation.due_on <= due_before)
    stmt = stmt.order_by(VisitObligation.due_on, EmployeeDirectoryEntry.last_name, VisitObligation.id).limit(limit)
    return [(o, e) for o, e in portal().db.session.execute(stmt)]


def planned_visits(employee_ids: Iterable[str]) -> dict[tuple[str, str], str]:
    """(employee_id, visit_type) → "planifiee" or "demandee" when a visit is already on its way."""
    ids = list(set(employee_ids))
    if not ids:
        return {}
    found: dict[tuple[str, str], str] = {}
    session = portal().db.session
    for employee_id, visit_type in session.execute(
        select(VisitRequest.employee_id, VisitRequest.visit_type).where(
            VisitRequest.employee_id.in_(ids), VisitRequest.status.in_(OPEN_REQUEST_STATUSES)
        )
    ):
        found[(employee_id, visit_type)] = RequestStatus.DEMANDEE
    for employee_id, visit_type in session.execute(
        select(Appointment.employee_id, Appointment.visit_type).where(
            Appointment.employee_id.in_(ids), Appointment.status.in_(OPEN_STATUSES)
        )
    ):
        found[(employee_id, visit_type)] = AppointmentStatus.PLANIFIEE
    return found


def obligation_as_dict(
    obligation: VisitObligation, employee: EmployeeDirectoryEntry, *, today: date, planned: dict[tuple[str, str], str]
) -> dict[str, Any]:
    state = urgency(obligation.due_on, today)
    return {
        "id": obligation.id,
        "member_id": obligation.member_id,
        "employee_id": obligation.employee_id,
        "employee": {
            "last_name": employee.last_name,
            "birth_name": employee.birth_name,
            "first_names": employee.first_names,
            "birth_date": employee.birth_date,
        },
        "rule": obligation.rule,
        "rule_label": RULE_LABELS[obligation.rule],
        "visit_type": obligation.visit_type,
        "visit_type_label": VISIT_TYPES[obligation.visit_type],
        "due_on": obligation.due_on,
        "before_post": obligation.before_post,
        "urgency": state,
        "urgency_label": URGENCY_LABELS[state],
        "planned": planned.get((obligation.employee_id, obligation.visit_type)),
        "employee_left": employee.exit_date is not None,
    }
