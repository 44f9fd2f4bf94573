"""A leaver's requests still to place: closed when workforce reports the exit, in the caller's transaction.

Called by the exit handler after the directory entry is updated (and so locked): nothing here commits.
Upcoming appointments are left alone, staff decide whether the visit still takes place.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.messaging.outbox import Outbox

from . import events
from .models import VisitRequest
from .services import request_event
from .visit_requests import OPEN_REQUEST_STATUSES, closed_by_exit, exit_reason


def close_open_requests(session: Session, outbox: Outbox, employee_id: str, exit_date: date) -> list[VisitRequest]:
    """Close the employee's open requests, except a visit the exit itself calls for; publish each change."""
    reason = exit_reason(exit_date)
    open_requests = session.scalars(select(VisitRequest).where(
        VisitRequest.employee_id == employee_id, VisitRequest.status.in_(OPEN_REQUEST_STATUSES))
        .order_by(VisitRequest.created_at, VisitRequest.id).with_for_update())
    closed = [request for request in open_requests if closed_by_exit(request.visit_type)]
    for request in closed:
        request.status, request.closed_reason, request.version = "annulee", reason, request.version + 1
        outbox.record(session, events.APPOINTMENT_REQUESTED, subject=request.id, member_id=request.member_id,
                      data=request_event(request))
    session.flush()
    return closed
