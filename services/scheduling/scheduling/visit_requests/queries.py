"""Read side of the visit requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from portal_common.service import portal

from ..appointments.queries import LIST_LIMIT
from ..appointments.rules import VISIT_TYPES
from ..models import EmployeeDirectoryEntry, VisitRequest
from .rules import OPEN_REQUEST_STATUSES, REQUEST_STATUSES, RequestStatus

RequestRow = tuple[VisitRequest, EmployeeDirectoryEntry | None]


def list_requests(*, member_id: str | None, open_only: bool, employee_id: str | None = None) -> list[RequestRow]:
    stmt = select(VisitRequest, EmployeeDirectoryEntry).outerjoin(
        EmployeeDirectoryEntry, EmployeeDirectoryEntry.employee_id == VisitRequest.employee_id
    )
    if member_id is not None:
        stmt = stmt.where(VisitRequest.member_id == member_id)
    if employee_id:
        stmt = stmt.where(VisitRequest.employee_id == employee_id)
    if open_only:
        stmt = stmt.where(VisitRequest.status.in_(OPEN_REQUEST_STATUSES))
    stmt = stmt.order_by(VisitRequest.due_by.is_(None), VisitRequest.due_by, VisitRequest.created_at).limit(LIST_LIMIT)
    return [(r, e) for r, e in portal().db.session.execute(stmt)]


def closed_with_reason(*, member_id: str, since: datetime, employee_id: str | None = None) -> list[RequestRow]:
    """The company's requests the service closed with a reason (staff's refusal, an exit…) since `since`."""
    stmt = (
        select(VisitRequest, EmployeeDirectoryEntry)
        .outerjoin(EmployeeDirectoryEntry, EmployeeDirectoryEntry.employee_id == VisitRequest.employee_id)
        .where(
            VisitRequest.member_id == member_id,
            VisitRequest.status == RequestStatus.ANNULEE,
            VisitRequest.closed_reason.is_not(None),
            VisitRequest.created_at >= since,
        )
    )
    if employee_id:
        stmt = stmt.where(VisitRequest.employee_id == employee_id)
    stmt = stmt.order_by(VisitRequest.created_at.desc()).limit(LIST_LIMIT)
    return [(r, e) for r, e in portal().db.session.execute(stmt)]


def request_as_dict(request: VisitRequest, employee: EmployeeDirectoryEntry | None) -> dict[str, Any]:
    return {
        "id": request.id,
        "member_id": request.member_id,
        "employee_id": request.employee_id,
        "employee_name": f"{employee.last_name} {employee.first_names}" if employee else None,
        "visit_type": request.visit_type,
        "visit_type_label": VISIT_TYPES[request.visit_type],
        "return_date": request.return_date,
        "due_by": request.due_by,
        "preferred_from": request.preferred_from,
        "preferred_to": request.preferred_to,
        "preferred_time": request.preferred_time,
        "constraints": request.constraints,
        "comment": request.comment,
        "status": request.status,
        "status_label": REQUEST_STATUSES[request.status],
        "closed_reason": request.closed_reason,
        "appointment_id": request.appointment_id,
        "created_at": request.created_at,
        "version": request.version,
    }


def get_request(request_id: str) -> VisitRequest | None:
    return portal().db.session.get(VisitRequest, request_id)
