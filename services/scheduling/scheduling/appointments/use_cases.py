"""What changes an appointment: staff schedule it or note attendance; the employer or staff cancel it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import update

from portal_common.clock import PARIS, utcnow
from portal_common.formats import date_fr
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ..business_calendar.rules import cancellation_limit
from ..directory.addressing import convocation_recipient
from ..models import Appointment, EmployeeDirectoryEntry, MemberDirectoryEntry, OutcomeCorrection, Slot
from ..obligations.use_cases import refresh_obligations
from ..visit_requests.use_cases import follow_cancellation
from .mails import cancellation_mail
from .rules import (
    AppointmentStatus,
    CancelledBy,
    NotFound,
    ScheduleCommand,
    cancellation_reason_label,
    cancellation_too_late,
    check_cancellable,
    check_cancellation_reason,
    check_outcome,
    check_outcome_correction,
    check_schedule,
)


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def appointment_event(appointment: Appointment) -> dict[str, Any]:
    """The fields every appointment event shares (attended, missed, cancelled); the version is the flushed one."""
    return {
        "appointment_id": appointment.id,
        "member_id": appointment.member_id,
        "employee_id": appointment.employee_id,
        "starts_at": _instant(appointment.starts_at),
        "visit_type": appointment.visit_type,
        "version": appointment.version,
    }


def scheduled_event(appointment: Appointment) -> dict[str, Any]:
    return appointment_event(appointment) | {
        "place": {"name": appointment.place_name, "address": appointment.place_address},
        "status": appointment.status,
    }


def schedule_appointment(portal: Portal, command: ScheduleCommand, *, appointment_id: str | None = None) -> Appointment:
    """Staff schedule a visit for an employee the directory knows; raises AppointmentRejected."""
    with portal.uow() as tx:
        employee = tx.session.get(EmployeeDirectoryEntry, command.employee_id)
        cmd = check_schedule(
            command,
            employee_member_id=employee.member_id if employee else None,
            now=utcnow(),
            calendar=portal.settings.holiday_calendar,
        )
        appointment = Appointment(
            id=appointment_id or str(uuid.uuid4()),
            member_id=cmd.member_id,
            employee_id=cmd.employee_id,
            starts_at=cmd.starts_at,
            duration_minutes=cmd.duration_minutes,
            visit_type=cmd.visit_type,
            place_name=cmd.place.name,
            place_address=cmd.place.address,
            professional_kind=cmd.professional_kind,
            status=cmd.status,
            created_at=utcnow(),
        )
        tx.session.add(appointment)
        tx.session.flush()
        tx.record(
            EventType.SCHEDULING_APPOINTMENT_SCHEDULED,
            subject=appointment.id,
            member_id=appointment.member_id,
            data=scheduled_event(appointment),
        )
        tx.commit()
        return appointment


def visit_cancellation_limit(portal: Portal, appointment: Appointment) -> date:
    settings = portal.settings
    return cancellation_limit(
        appointment.starts_at.astimezone(PARIS).date(),
        settings.cancellation_business_days,
        settings.holiday_calendar,
    )


def cancel_appointment(
    portal: Portal,
    appointment_id: str,
    *,
    member_id: str | None,
    today: date,
    reason_code: str,
    reason_text: str | None = None,
    read_version: int | None = None,
) -> Appointment:
    """The employer cancels up to the limit in jours ouvrés; staff (member_id None) at any time before the visit.

    Either side names a reason from its list (free text beside it), kept on the visit for the other side to read;
    `read_version` (the page's) refuses a cancellation from a page read before the visit moved or was cancelled.
    """
    with portal.uow() as tx:
        appointment = tx.session.get(Appointment, appointment_id, with_for_update=True)
        if appointment is None or (member_id is not None and appointment.member_id != member_id):
            raise NotFound(appointment_id)
        cancelled_by = CancelledBy.STAFF if member_id is None else CancelledBy.EMPLOYER
        grounds = check_cancellation_reason(
            reason_code,
            reason_text,
            cancelled_by=cancelled_by,
            version=appointment.version,
            read_version=read_version,
        )
        check_cancellable(status=appointment.status, starts_at=appointment.starts_at, now=utcnow())
        limit = visit_cancellation_limit(portal, appointment)
        if member_id is not None and today > limit:
            raise cancellation_too_late(date_fr(limit), portal.settings.cancellation_business_days)
        appointment.status = AppointmentStatus.ANNULEE
        appointment.cancelled_at, appointment.cancelled_by = utcnow(), cancelled_by
        appointment.cancellation_reason_code, appointment.cancellation_reason_text = grounds.code, grounds.text
        if appointment.slot_id:
            release_seat(tx.session, appointment.slot_id)
        tx.session.flush()  # the version counter moves on flush: the event carries the new version
        tx.record(
            EventType.SCHEDULING_APPOINTMENT_CANCELLED,
            subject=appointment.id,
            member_id=appointment.member_id,
            data=appointment_event(appointment) | {"cancelled_by": cancelled_by},
        )
        if appointment.request_id:
            follow_cancellation(tx, appointment, cancelled_by)
        _confirm_cancellation(portal, tx, appointment, cancelled_by)
        tx.commit()
        return appointment


def _confirm_cancellation(portal: Portal, tx: Any, appointment: Appointment, cancelled_by: CancelledBy) -> None:
    """The company learns of the cancellation where it got the convocation (its convocation contact)."""
    company = tx.session.get(MemberDirectoryEntry, appointment.member_id)
    employee = tx.session.get(EmployeeDirectoryEntry, appointment.employee_id)
    if company is None or employee is None:
        return
    recipient = convocation_recipient(
        convocation_email=company.convocation_email,
        convocation_contact=company.convocation_contact,
        company_email=company.email,
    )
    if recipient is None:
        return
    tx.mail(
        cancellation_mail(
            appointment_id=appointment.id,
            version=appointment.version,
            to=recipient.email,
            contact_name=recipient.name,
            employee_name=f"{employee.last_name} {employee.first_names}",
            starts_at=appointment.starts_at,
            visit_type=appointment.visit_type,
            cancelled_by=cancelled_by,
            reason=cancellation_reason_label(
                appointment.cancellation_reason_code, appointment.cancellation_reason_text
            ),
            portal_url=portal.settings.public_url,
        )
    )


def release_seat(session: Any, slot_id: str) -> None:
    """The seat a cancelled appointment held in its slot, free again (`slots.use_cases.take_seat`)."""
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked > 0)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def record_outcome(portal: Portal, appointment_id: str, status: str) -> Appointment:
    """Staff note attendance: réalisée (recomputes the obligations), absent excusé, or absent non excusé."""
    with portal.uow() as tx:
        appointment = tx.session.get(Appointment, appointment_id, with_for_update=True)
        if appointment is None:
            raise NotFound(appointment_id)
        check_outcome(status=appointment.status, new_status=status, starts_at=appointment.starts_at, now=utcnow())
        appointment.status = status
        tx.session.flush()
        if status == AppointmentStatus.REALISEE:
            refresh_obligations(tx.session, appointment.employee_id, portal.settings.periods)
            tx.record(
                EventType.SCHEDULING_APPOINTMENT_ATTENDED,
                subject=appointment.id,
                member_id=appointment.member_id,
                data=appointment_event(appointment),
            )
        elif status == AppointmentStatus.ABSENT_NON_EXCUSE:
            tx.record(
                EventType.SCHEDULING_APPOINTMENT_MISSED,
                subject=appointment.id,
                member_id=appointment.member_id,
                data=appointment_event(appointment),
            )
        tx.commit()
        return appointment


def correct_outcome(
    portal: Portal,
    appointment_id: str,
    new_status: str,
    *,
    reason: str,
    read_version: int,
    actor: str,
    actor_name: str = "",
) -> Appointment:
    """Staff correct a recorded outcome, explicitly: the audit trail keeps who, when, from what and why, and
    scheduling.appointment.outcome_corrected.v1 tells the others to reverse the first outcome's effects (billing
    cancels a no-show fee). `read_version` is the version the staff member saw: two corrections at once, one wins.
    """
    with portal.uow() as tx:
        appointment = tx.session.get(Appointment, appointment_id, with_for_update=True)
        if appointment is None:
            raise NotFound(appointment_id)
        previous = appointment.status
        reason = check_outcome_correction(
            status=previous,
            new_status=new_status,
            reason=reason,
            version=appointment.version,
            read_version=read_version,
        )
        appointment.status = new_status
        tx.session.add(
            OutcomeCorrection(
                id=str(uuid.uuid4()),
                appointment_id=appointment.id,
                previous_status=previous,
                status=new_status,
                reason=reason,
                corrected_by=actor[:200],
                corrected_by_name=actor_name.strip()[:200] or None,
                corrected_at=utcnow(),
            )
        )
        tx.session.flush()  # the version counter moves: a correction from the same stale read is refused
        if AppointmentStatus.REALISEE in (previous, new_status):
            refresh_obligations(tx.session, appointment.employee_id, portal.settings.periods)
        # The reason stays here: staff's free text never travels in an event.
        tx.record(
            EventType.SCHEDULING_APPOINTMENT_OUTCOME_CORRECTED,
            subject=appointment.id,
            member_id=appointment.member_id,
            data=appointment_event(appointment) | {"previous_status": previous, "status": new_status},
        )
        tx.commit()
        return appointment
