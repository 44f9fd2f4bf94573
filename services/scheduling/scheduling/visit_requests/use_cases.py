"""What changes a visit request: the employer asks or withdraws; a cancellation or an exit closes or reopens it.

`follow_cancellation` and `close_open_requests` run inside their caller's transaction (a cancellation, the
exit handler) and do not commit. Locks are always taken employee first, then request — the order of
placements, cancellations and exits — so none of them can deadlock another.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal_common.clock import PARIS, utcnow
from portal_common.db import UnitOfWork
from portal_common.messaging.event_types import EventType
from portal_common.messaging.outbox import Outbox
from portal_common.service import Portal

from ..appointments.rules import OPEN_STATUSES, CancellationRefused, NotFound, VisitType
from ..models import Appointment, EmployeeDirectoryEntry, VisitRequest
from .rules import (
    OPEN_REQUEST_STATUSES,
    REQUEST_NOT_OPEN,
    EmployeeState,
    RequestCommand,
    RequestStatus,
    after_cancellation,
    check_close_reason,
    check_not_requested_yet,
    check_request,
    closed_by_exit,
    exit_reason,
)


def request_event(request: VisitRequest) -> dict[str, Any]:
    """scheduling.appointment.requested.v1's data; the request's version is the one its last flush gave it."""
    return {
        "request_id": request.id,
        "member_id": request.member_id,
        "employee_id": request.employee_id,
        "visit_type": request.visit_type,
        "due_by": request.due_by.isoformat() if request.due_by else None,
        "status": request.status,
        "version": request.version,
    }


def _employee_state(session: Session, employee_id: str) -> EmployeeState | None:
    # Locked: an exit being applied meanwhile either comes first (refused here) or closes the new request.
    entry = session.get(EmployeeDirectoryEntry, employee_id, with_for_update=True)
    if entry is None:
        return None
    open_request = session.scalar(
        select(func.count())
        .select_from(VisitRequest)
        .where(
            VisitRequest.employee_id == employee_id,
            VisitRequest.visit_type == VisitType.EMBAUCHE,
            VisitRequest.status.in_(OPEN_REQUEST_STATUSES),
        )
    )
    open_appointment = session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.employee_id == employee_id,
            Appointment.visit_type == VisitType.EMBAUCHE,
            Appointment.status.in_(OPEN_STATUSES),
        )
    )
    return EmployeeState(
        member_id=entry.member_id,
        category=entry.monitoring_category,
        exited=entry.exit_date is not None,
        embauche_planned=bool(open_request or open_appointment),
        sir_exposure_ended=entry.sir_ended_on is not None,
    )


def _open_request(session: Session, employee_id: str, visit_type: str) -> str | None:
    return session.scalar(
        select(VisitRequest.id)
        .where(
            VisitRequest.employee_id == employee_id,
            VisitRequest.visit_type == visit_type,
            VisitRequest.status.in_(OPEN_REQUEST_STATUSES),
        )
        .limit(1)
    )


def request_visit(portal: Portal, command: RequestCommand, *, today: date) -> VisitRequest:
    """The employer asks for a visit; raises RequestRejected with the reasons, DuplicateRequest (409) when the
    same visit is already asked for (the partial unique index decides between simultaneous ones)."""
    try:
        return _request_visit(portal, command, today=today)
    except IntegrityError:
        with portal.db.session_factory() as session:
            existing = _open_request(session, command.employee_id, command.visit_type)
        if existing is None:
            raise
        check_not_requested_yet(existing)
        raise


def _request_visit(portal: Portal, command: RequestCommand, *, today: date) -> VisitRequest:
    with portal.uow() as tx:
        state = _employee_state(tx.session, command.employee_id)
        cmd, due_by = check_request(command, state, today=today, reprise_days=portal.settings.reprise_days)
        check_not_requested_yet(_open_request(tx.session, cmd.employee_id, cmd.visit_type))
        request = VisitRequest(
            id=str(uuid.uuid4()),
            member_id=cmd.member_id,
            employee_id=cmd.employee_id,
            visit_type=cmd.visit_type,
            return_date=cmd.return_date,
            due_by=due_by,
            preferred_from=cmd.preferred_from,
            preferred_to=cmd.preferred_to,
            preferred_time=cmd.preferred_time,
            constraints=cmd.constraints,
            comment=cmd.comment,
            status=RequestStatus.DEMANDEE,
            created_at=utcnow(),
        )
        tx.session.add(request)
        tx.session.flush()
        _record(tx, request)
        tx.commit()
        return request


def withdraw_request(portal: Portal, request_id: str, *, member_id: str | None) -> VisitRequest:
    """The employer (or staff, member_id None) withdraws a request not yet placed."""
    with portal.uow() as tx:
        request = tx.session.get(VisitRequest, request_id, with_for_update=True)
        if request is None or (member_id is not None and request.member_id != member_id):
            raise NotFound(request_id)
        if request.status not in OPEN_REQUEST_STATUSES:
            raise CancellationRefused({"request_id": REQUEST_NOT_OPEN})
        request.status = RequestStatus.ANNULEE
        tx.session.flush()  # the version counter moves on flush: the event carries the new version
        _record(tx, request)
        tx.commit()
        return request


def close_request(portal: Portal, request_id: str, reason: str) -> VisitRequest:
    """Staff close or refuse a request not yet placed, with a reason the employer reads (a duplicate, a visit
    held elsewhere…)."""
    reason = check_close_reason(reason)
    with portal.uow() as tx:
        request = tx.session.get(VisitRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound(request_id)
        if request.status not in OPEN_REQUEST_STATUSES:
            raise CancellationRefused({"request_id": REQUEST_NOT_OPEN})
        request.status, request.closed_reason = RequestStatus.ANNULEE, reason
        tx.session.flush()  # the version counter moves on flush: the event carries the new version
        _record(tx, request)
        tx.commit()
        return request


def follow_cancellation(tx: UnitOfWork, appointment: Appointment, cancelled_by: str) -> None:
    """The request the cancelled visit was placed from: given up by the employer, or to place again."""
    session = tx.session
    # Employee before request, the order of placements and of exits: an exit cannot slip in between.
    employee = session.get(EmployeeDirectoryEntry, appointment.employee_id, with_for_update=True)
    request = session.get(VisitRequest, appointment.request_id, with_for_update=True)
    if request is None or request.status != RequestStatus.PLANIFIEE or request.appointment_id != appointment.id:
        return
    request.status, request.closed_reason = after_cancellation(
        cancelled_by=cancelled_by,
        visit_type=request.visit_type,
        visit_day=appointment.starts_at.astimezone(PARIS).date(),
        exit_date=employee.exit_date if employee else None,
    )
    if request.status in OPEN_REQUEST_STATUSES:
        request.appointment_id = None  # back in staff's list, free to go into another slot
    session.flush()
    _record(tx, request)


def close_open_requests(session: Session, outbox: Outbox, employee_id: str, exit_date: date) -> list[VisitRequest]:
    """A leaver's requests still to place, closed when workforce reports the exit; each change is published.

    Called by the exit handler after the directory entry is updated (and so locked). The visit the exit itself
    calls for stays open; upcoming appointments are left alone, staff decide whether the visit still takes place.
    """
    reason = exit_reason(exit_date)
    open_requests = session.scalars(
        select(VisitRequest)
        .where(VisitRequest.employee_id == employee_id, VisitRequest.status.in_(OPEN_REQUEST_STATUSES))
        .order_by(VisitRequest.created_at, VisitRequest.id)
        .with_for_update()
    )
    closed = [request for request in open_requests if closed_by_exit(request.visit_type)]
    for request in closed:
        request.status, request.closed_reason = RequestStatus.ANNULEE, reason
    session.flush()
    for request in closed:
        outbox.record(
            session,
            EventType.SCHEDULING_APPOINTMENT_REQUESTED,
            subject=request.id,
            member_id=request.member_id,
            data=request_event(request),
        )
    session.flush()
    return closed


def _record(tx: UnitOfWork, request: VisitRequest) -> None:
    tx.record(
        EventType.SCHEDULING_APPOINTMENT_REQUESTED,
        subject=request.id,
        member_id=request.member_id,
        data=request_event(request),
    )
