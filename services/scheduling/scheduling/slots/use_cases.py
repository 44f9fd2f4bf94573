"""What staff do with slots: open one, convoke a requested or due visit into it (PDF and e-mail), move a
convoked visit to another slot (a new convocation), move a whole slot (each visit it holds convoked again)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.db import UnitOfWork
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ..appointments.rules import (
    MAX_DURATION_MINUTES,
    OPEN_STATUSES,
    PROFESSIONAL_KINDS,
    AppointmentStatus,
    NotFound,
    Place,
    cancellation_reason_label,
)
from ..appointments.use_cases import release_seat, scheduled_event, visit_cancellation_limit
from ..directory import addressing
from ..directory.queries import convocation_addresses
from ..documents.rules import DocumentKind
from ..documents.use_cases import add_document
from ..models import (
    Appointment,
    Document,
    EmployeeDirectoryEntry,
    MemberDirectoryEntry,
    Slot,
    VisitObligation,
    VisitRequest,
)
from ..visit_requests.rules import OPEN_REQUEST_STATUSES, REQUEST_NOT_OPEN, RequestStatus
from ..visit_requests.use_cases import request_event
from . import convocation
from .rules import (
    Booking,
    PlacementRejected,
    SlotCommand,
    check_closable,
    check_deletable,
    check_employee_present,
    check_move,
    check_move_target,
    check_new_time,
    check_not_convoked_yet,
    check_placement,
    check_slot,
    check_slot_move,
    slot_full,
)


def _locked_slot(session: Session, slot_id: str) -> Slot:
    """The slot, locked until the transaction ends (its changes and placements then queue one behind another);
    NotFound when there is none."""
    slot = session.get(Slot, slot_id, with_for_update=True)
    if slot is None:
        raise NotFound(slot_id)
    return slot


def create_slot(portal: Portal, command: SlotCommand) -> Slot:
    with portal.uow() as tx:
        cmd = check_slot(command, now=utcnow(), calendar=portal.settings.holiday_calendar)
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


def close_slot(portal: Portal, slot_id: str) -> Slot:
    """The slot takes no more visits; those it holds stay convoked."""
    with portal.uow() as tx:
        slot = _locked_slot(tx.session, slot_id)
        check_closable(closed=slot.closed_at is not None)
        slot.closed_at = utcnow()
        tx.commit()
        return slot


def delete_slot(portal: Portal, slot_id: str) -> None:
    """A free slot removed; the visits once cancelled in it keep their own time and place."""
    with portal.uow() as tx:
        # Locked as placements lock it: no visit slips in between the count and the delete.
        slot = _locked_slot(tx.session, slot_id)
        check_deletable(booked=booked(tx.session, slot.id))
        tx.session.execute(
            update(Appointment)
            .where(Appointment.slot_id == slot.id)
            .values(slot_id=None)
            .execution_options(synchronize_session=False)
        )
        tx.session.delete(slot)
        tx.commit()


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
        slot = _locked_slot(session, slot_id)
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
            closed=slot.closed_at is not None,
            calendar=portal.settings.holiday_calendar,
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


def move_appointment(
    portal: Portal,
    appointment_id: str,
    slot_id: str | None = None,
    *,
    starts_at: datetime | None = None,
    read_version: int,
    reason: str,
) -> Appointment:
    """Staff move a visit still to come into a free seat of another open slot of the same centre and professional
    kind (or, held outside any slot, to a new time at its place): the old seat is freed, a new convocation (PDF
    and e-mail « Votre convocation est modifiée ») replaces the earlier ones, and
    scheduling.appointment.rescheduled.v1 names the convocations it replaces. The visit keeps its id, its request
    and its type (billing knows nothing of it until an outcome)."""
    with portal.uow() as tx:
        session = tx.session
        # The visit first, as cancellations lock it: a move and a cancellation at once, one wins.
        appointment = session.get(Appointment, appointment_id, with_for_update=True)
        if appointment is None:
            raise NotFound(appointment_id)
        reason = check_move(
            status_open=appointment.status in OPEN_STATUSES,
            starts_at=appointment.starts_at,
            version=appointment.version,
            read_version=read_version,
            reason=reason,
            now=utcnow(),
        )
        previous_starts_at = appointment.starts_at
        slot: Slot | None = None
        if slot_id:
            slot = _into_slot(portal, session, appointment, slot_id)
        elif starts_at is not None:
            appointment.starts_at = check_new_time(
                starts_at,
                current=appointment.starts_at,
                in_slot=appointment.slot_id is not None,
                now=utcnow(),
                calendar=portal.settings.holiday_calendar,
            )
        else:
            raise PlacementRejected({"slot_id": "Choisissez un autre créneau pour ce rendez-vous."})
        _reconvoke(portal, tx, appointment, slot, previous_starts_at=previous_starts_at, reason=reason)
        tx.commit()
        return appointment


def _reconvoke(
    portal: Portal,
    tx: UnitOfWork,
    appointment: Appointment,
    slot: Slot | None,
    *,
    previous_starts_at: datetime,
    reason: str,
) -> bool:
    """A visit given its new time and place is convoked again: scheduling.appointment.rescheduled.v1 names the
    convocations it replaces, and a new convocation (PDF and e-mail « Votre convocation est modifiée ») names the
    date it replaces and why. Returns whether the e-mail was queued."""
    session = tx.session
    replaced = list(
        session.scalars(
            select(Document.id).where(
                Document.appointment_id == appointment.id, Document.kind == DocumentKind.CONVOCATION
            )
        )
    )
    appointment.status = AppointmentStatus.CONVOQUEE
    session.flush()  # the version moves on: the page read before the move is stale, the event carries it
    tx.record(
        EventType.SCHEDULING_APPOINTMENT_RESCHEDULED,
        subject=appointment.id,
        member_id=appointment.member_id,
        data=scheduled_event(appointment)
        | {"previous_starts_at": _instant(previous_starts_at), "replaced_document_ids": replaced},
    )
    employee = session.get(EmployeeDirectoryEntry, appointment.employee_id)
    if employee is None:
        return False
    return _convoke(portal, tx, appointment, employee, slot, previous_starts_at=previous_starts_at, reason=reason)


def move_slot(portal: Portal, slot_id: str, *, starts_at: datetime, read_version: int, reason: str) -> tuple[Slot, int]:
    """Staff move a slot to come to a new start (same centre, professional, duration and capacity) with a reason:
    every open visit it holds is re-convoked as `move_appointment` re-convokes one. All or nothing. Returns the
    slot and how many visits were re-convoked.

    The slot's time changes in place, each visit following it: the visits keep their seats, so `booked`, the
    capacity and its check constraint are never touched and no visit is ever counted in two slots; the slot keeps
    its id. Opening a new slot and moving each visit into it would take and free every seat, then delete a slot."""
    with portal.uow() as tx:
        session = tx.session
        # The visits first, then the slot: the order in which a cancellation or a move of one of them locks its
        # visit then its slot, so a slot move beside them waits, never deadlocks.
        _held_visits(session, slot_id)
        slot = _locked_slot(session, slot_id)
        current = SlotCommand(
            centre=Place(slot.centre_name, slot.centre_address),
            professional_kind=slot.professional_kind,
            professional_name=slot.professional_name,
            starts_at=slot.starts_at,
            duration_minutes=slot.duration_minutes,
            capacity=slot.capacity,
        )
        new_starts_at, reason = check_slot_move(
            current,
            new_starts_at=starts_at,
            version=slot.version,
            read_version=read_version,
            reason=reason,
            now=utcnow(),
            others=_professional_slots(session, slot, starts_at),
            calendar=portal.settings.holiday_calendar,
        )
        previous_starts_at, slot.starts_at = slot.starts_at, new_starts_at
        # Read again now that the slot is locked: a visit placed while the move waited for the slot follows too.
        visits = _held_visits(session, slot.id)
        for visit in visits:
            visit.starts_at = new_starts_at
            _reconvoke(portal, tx, visit, slot, previous_starts_at=previous_starts_at, reason=reason)
        session.flush()  # a free slot's version moves on too
        tx.commit()
        return slot, len(visits)


def _held_visits(session: Session, slot_id: str) -> list[Appointment]:
    """The open visits the slot holds, locked (by id: two movers lock them in one order)."""
    return list(
        session.scalars(
            select(Appointment)
            .where(Appointment.slot_id == slot_id, Appointment.status.in_(OPEN_STATUSES))
            .order_by(Appointment.id)
            .with_for_update()
        )
    )


def _professional_slots(session: Session, slot: Slot, starts_at: datetime) -> list[Booking]:
    """The professional's other slots (any centre) that may meet a slot starting at `starts_at`."""
    if starts_at.tzinfo is None:
        return []  # refused by the rules before overlaps matter
    margin = timedelta(minutes=MAX_DURATION_MINUTES)
    return [
        Booking(other.starts_at, other.duration_minutes)
        for other in session.scalars(
            select(Slot).where(
                Slot.id != slot.id,
                Slot.professional_kind == slot.professional_kind,
                Slot.professional_name == slot.professional_name,
                Slot.starts_at > starts_at - margin,
                Slot.starts_at < starts_at + margin,
            )
        )
    ]


def _into_slot(portal: Portal, session: Session, appointment: Appointment, slot_id: str) -> Slot:
    """The visit takes a seat of the target slot and frees the one it held; returns the target slot."""
    # Both slots locked in one order (by id): two visits crossing between the same slots never deadlock.
    wanted = sorted({slot_id, *([appointment.slot_id] if appointment.slot_id else [])})
    slots = {
        s.id: s for s in session.scalars(select(Slot).where(Slot.id.in_(wanted)).order_by(Slot.id).with_for_update())
    }
    slot = slots.get(slot_id)
    if slot is None:
        raise NotFound(slot_id)
    check_move_target(
        same_slot=slot.id == appointment.slot_id,
        same_centre=slot.centre_name == appointment.place_name,
        same_kind=slot.professional_kind == appointment.professional_kind,
    )
    check_placement(
        visit_type=appointment.visit_type,
        rule=None,
        professional_kind=slot.professional_kind,
        slot_starts_at=slot.starts_at,
        booked=booked(session, slot.id),
        capacity=slot.capacity,
        now=utcnow(),
        closed=slot.closed_at is not None,
        calendar=portal.settings.holiday_calendar,
    )
    take_seat(session, slot)
    if appointment.slot_id:
        release_seat(session, appointment.slot_id)
    appointment.slot_id, appointment.starts_at = slot.id, slot.starts_at
    appointment.duration_minutes = slot.duration_minutes
    appointment.place_name, appointment.place_address = slot.centre_name, slot.centre_address
    return slot


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _company_address(session: Session, company: MemberDirectoryEntry | None, day: date) -> tuple[str, ...]:
    """The company's convocation address in force on `day`, else its main address."""
    if company is None:
        return ()
    found = addressing.current_address(convocation_addresses(session, company.member_id), day)
    if found is not None:
        return tuple(found.lines())
    return (company.address_line1, f"{company.postal_code} {company.city}")


def _convoke(
    portal: Portal,
    tx: UnitOfWork,
    appointment: Appointment,
    employee: EmployeeDirectoryEntry,
    slot: Slot | None,
    *,
    previous_starts_at: datetime | None = None,
    reason: str | None = None,
) -> bool:
    """Store the convocation PDF and queue the e-mail to the convocation contact (else the company's e-mail); a
    moved visit's convocation names the date it replaces and why."""
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
    details = _details(
        portal,
        tx.session,
        appointment,
        employee,
        slot,
        company,
        day=day,
        contact_name=recipient.name if recipient else None,
        previous_starts_at=previous_starts_at,
        reason=reason,
    )
    add_document(tx, appointment, DocumentKind.CONVOCATION, convocation.pdf(details), issued_on=day)
    if recipient is None:
        return False
    return tx.mail(convocation.mail(details, recipient.email, appointment.version))


def _details(
    portal: Portal,
    session: Session,
    appointment: Appointment,
    employee: EmployeeDirectoryEntry | None,
    slot: Slot | None,
    company: MemberDirectoryEntry | None,
    *,
    day: date,
    contact_name: str | None = None,
    previous_starts_at: datetime | None = None,
    reason: str | None = None,
) -> convocation.Convocation:
    """What a convocation of the visit says, with the company's convocation address in force on `day`."""
    return convocation.Convocation(
        appointment_id=appointment.id,
        company_name=company.name if company else "",
        # No entry only when the directory lost the employee: the cancelled convocation still prints.
        employee_name=f"{employee.last_name} {employee.first_names}" if employee else "",
        birth_date=employee.birth_date if employee else None,
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        visit_type=appointment.visit_type,
        place_name=appointment.place_name,
        place_address=appointment.place_address,
        professional=f"{PROFESSIONAL_KINDS[slot.professional_kind]} — {slot.professional_name}"
        if slot
        else PROFESSIONAL_KINDS[appointment.professional_kind],
        cancellation_limit=visit_cancellation_limit(portal, appointment),
        portal_url=portal.settings.public_url,
        company_address=_company_address(session, company, day),
        contact_name=contact_name,
        replaces_starts_at=previous_starts_at,
        change_reason=reason,
    )


def cancelled_convocation_pdf(portal: Portal, session: Session, appointment: Appointment, issued_on: date) -> bytes:
    """A cancelled visit's convocation as served now, from the visit as stored: the stored PDF was issued while the
    visit held and the cancellation lives on the visit alone, so it is printed again under a « CONVOCATION ANNULÉE »
    banner rather than stamped and stored (which would leave the convocations of visits cancelled earlier as they
    were). The visit's last time and place are printed: a convocation replaced by a move before the cancellation
    is printed as the visit stood when cancelled, which no longer holds either."""
    employee = session.get(EmployeeDirectoryEntry, appointment.employee_id)
    # The slot's professional when the slot still exists (a slot emptied by cancellations may have been deleted).
    slot = session.get(Slot, appointment.slot_id) if appointment.slot_id else None
    company = session.get(MemberDirectoryEntry, appointment.member_id)
    details = _details(portal, session, appointment, employee, slot, company, day=issued_on)
    cancelled = convocation.Cancelled(
        at=appointment.cancelled_at,
        reason=cancellation_reason_label(appointment.cancellation_reason_code, appointment.cancellation_reason_text),
    )
    return convocation.pdf(details, cancelled)
