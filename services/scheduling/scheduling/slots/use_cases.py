"""What staff do with slots: open one, and convoke a requested or due visit into it (PDF and e-mail)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.db import UnitOfWork
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ..appointments.rules import OPEN_STATUSES, PROFESSIONAL_KINDS, AppointmentStatus, NotFound
from ..appointments.use_cases import scheduled_event, visit_cancellation_limit
from ..directory import addressing
from ..directory.queries import convocation_addresses
from ..documents.rules import DocumentKind
from ..documents.use_cases import add_document
from ..models import Appointment, EmployeeDirectoryEntry, MemberDirectoryEntry, Slot, VisitObligation, VisitRequest
from ..visit_requests.rules import OPEN_REQUEST_STATUSES, REQUEST_NOT_OPEN, RequestStatus
from ..visit_requests.use_cases import request_event
from . import convocation
from .rules import (
    PlacementRejected,
    SlotCommand,
    check_employee_present,
    check_not_convoked_yet,
    check_placement,
    check_slot,
    slot_full,
)


def create_slot(portal: Portal, command: SlotCommand) -> Slot:
    with portal.uow() as tx:
        cmd = check_slot(command, now=utcnow())
        slot = Slot(
            id=str(uuid.uuid4()),
            centre_name=cmd.centre.name,
            centre_address=cmd.centre.address,
            professional_kind=cmd.professional_kind,
            professional_name=cmd.professional_name,
            starts_at=cmd.starts_at,
            duration_minutes=cmd.duration_minutes,
            capacity=cmd.capacity,
            created_at=utcnow(),
        )
        tx.session.add(slot)
        tx.commit()
        return slot


def booked(session: Session, slot_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.slot_id == slot_id, Appointment.status != AppointmentStatus.ANNULEE)
        )
        or 0
    )


def take_seat(session: Session, slot: Slot) -> None:
    """One seat of the slot, taken by a conditional update: the database never counts one beyond the capacity
    (its check constraint), whatever the engine's locking."""
    taken = session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise PlacementRejected({"slot_id": slot_full(slot.capacity)})


def _what_to_place(
    session: Session, *, request_id: str | None, obligation_id: str | None
) -> tuple[str, str, str | None, VisitRequest | None]:
    """(employee_id, visit_type, rule, request) of the request or obligation staff place."""
    if request_id:
        request = session.get(VisitRequest, request_id)
        if request is None:
            raise NotFound(request_id)
        if request.status not in OPEN_REQUEST_STATUSES:
            raise PlacementRejected({"request_id": REQUEST_NOT_OPEN})
        return request.employee_id, request.visit_type, None, request
    obligation = session.get(VisitObligation, obligation_id) if obligation_id else None
    if obligation is None:
        raise NotFound(obligation_id or "")
    return obligation.employee_id, obligation.visit_type, obligation.rule, None


def _open_visit_exists(session: Session, employee_id: str, visit_type: str) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.employee_id == employee_id,
                Appointment.visit_type == visit_type,
                Appointment.status.in_(OPEN_STATUSES),
            )
        )
    )


def place_in_slot(
    portal: Portal, slot_id: str, *, request_id: str | None = None, obligation_id: str | None = None
) -> tuple[Appointment, bool]:
    """Convoke the employee into the slot; returns the appointment and whether a convocation e-mail was queued."""
    with portal.uow() as tx:
        session = tx.session
        # Locking the slot serialises placements into it, so its capacity holds under concurrency.
        slot = session.get(Slot, slot_id, with_for_update=True)
        if slot is None:
            raise NotFound(slot_id)
        employee_id, visit_type, rule, request = _what_to_place(
            session, request_id=request_id, obligation_id=obligation_id
        )
        check_placement(
            visit_type=visit_type,
            rule=rule,
            professional_kind=slot.professional_kind,
            slot_starts_at=slot.starts_at,
            booked=booked(session, slot.id),
            capacity=slot.capacity,
            now=utcnow(),
        )
        take_seat(session, slot)
        # Locking the employee serialises placements of his visits, so a due visit is convoked only once.
        employee = session.get(EmployeeDirectoryEntry, employee_id, with_for_update=True)
        if request is not None:
            # Locked after the employee, as exits and cancellations do; read again now that it is locked. The copy
            # read before is dropped first: an exit may have moved its version on, which a locking read of that
            # copy would report as stale instead of letting the status speak.
            session.expunge(request)
            request = session.get(VisitRequest, request.id, with_for_update=True)
            if request is None or request.status not in OPEN_REQUEST_STATUSES:
                raise PlacementRejected({"request_id": REQUEST_NOT_OPEN})
        exited = employee is not None and employee.exit_date is not None
        check_employee_present(known=employee is not None, exited=exited, visit_type=visit_type)
        if request is None:
            check_not_convoked_yet(_open_visit_exists(session, employee_id, visit_type))
        appointment = Appointment(
            id=str(uuid.uuid4()),
            member_id=employee.member_id,
            employee_id=employee_id,
            starts_at=slot.starts_at,
            duration_minutes=slot.duration_minutes,
            visit_type=visit_type,
            place_name=slot.centre_name,
            place_address=slot.centre_address,
            professional_kind=slot.professional_kind,
            status=AppointmentStatus.CONVOQUEE,
            created_at=utcnow(),
            slot_id=slot.id,
            request_id=request.id if request else None,
        )
        session.add(appointment)
        if request is not None:
            request.status, request.appointment_id = RequestStatus.PLANIFIEE, appointment.id
        session.flush()  # the request's version counter moves here: its event carries the new version
        if request is not None:
            tx.record(
                EventType.SCHEDULING_APPOINTMENT_REQUESTED,
                subject=request.id,
                member_id=request.member_id,
                data=request_event(request),
            )
        tx.record(
            EventType.SCHEDULING_APPOINTMENT_SCHEDULED,
            subject=appointment.id,
            member_id=appointment.member_id,
            data=scheduled_event(appointment),
        )
        mailed = _convoke(portal, tx, appointment, employee, slot)
        tx.commit()
        return appointment, mailed


def _company_address(session: Session, company: MemberDirectoryEntry | None, day: date) -> tuple[str, ...]:
    """The company's convocation address in force on `day`, else its main address."""
    if company is None:
        return ()
    found = addressing.current_address(convocation_addresses(session, company.member_id), day)
    if found is not None:
        return tuple(found.lines())
    return (company.address_line1, f"{company.postal_code} {company.city}")


def _convoke(
    portal: Portal, tx: UnitOfWork, appointment: Appointment, employee: EmployeeDirectoryEntry, slot: Slot
) -> bool:
    """Store the convocation PDF and queue the e-mail to the convocation contact (else the company's e-mail)."""
    company = tx.session.get(MemberDirectoryEntry, appointment.member_id)
    recipient = (
        addressing.convocation_recipient(
            convocation_email=company.convocation_email,
            convocation_contact=company.convocation_contact,
            company_email=company.email,
        )
        if company
        else None
    )
    day = today()
    details = convocation.Convocation(
        appointment_id=appointment.id,
        company_name=company.name if company else "",
        employee_name=f"{employee.last_name} {employee.first_names}",
        birth_date=employee.birth_date,
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        visit_type=appointment.visit_type,
        place_name=appointment.place_name,
        place_address=appointment.place_address,
        professional=f"{PROFESSIONAL_KINDS[slot.professional_kind]} — {slot.professional_name}",
        cancellation_limit=visit_cancellation_limit(portal, appointment),
        portal_url=portal.settings.public_url,
        company_address=_company_address(tx.session, company, day),
        contact_name=recipient.name if recipient else None,
    )
    add_document(tx, appointment, DocumentKind.CONVOCATION, convocation.pdf(details), issued_on=day)
    if recipient is None:
        return False
    return tx.mail(convocation.mail(details, recipient.email, appointment.version))
