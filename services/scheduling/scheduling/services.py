"""Use cases of the scheduling service: the only place that commits."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_common.clock import utcnow
from portal_common.errors import FieldErrors
from portal_common.formats import PARIS, date_fr
from portal_common.service import Portal

from . import addressing, convocation, directory, events, tracking
from .business_days import cancellation_limit
from .domain import (DOCUMENT_KINDS, OPEN_STATUSES, PROFESSIONAL_KINDS, PlacementRejected,
                     ScheduleCommand, SlotCommand, check_document, check_outcome, check_placement, check_schedule,
                     check_slot)
from .models import (Appointment, Document, EmployeeDirectoryEntry, MemberDirectoryEntry, Slot, VisitObligation,
                     VisitRequest)
from .visit_requests import OPEN_REQUEST_STATUSES, EmployeeState, RequestCommand, after_cancellation, check_request


class NotFound(Exception):
    """No such object for this caller (another company's answers the same: no enumeration)."""


class CancellationRefused(FieldErrors):
    """Too late to cancel: the message gives the limit."""


REQUEST_NOT_OPEN = "Cette demande est déjà planifiée ou annulée."


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def appointment_event(appointment: Appointment) -> dict[str, Any]:
    """The fields every appointment event shares (attended, missed, cancelled)."""
    return {"appointment_id": appointment.id, "member_id": appointment.member_id,
            "employee_id": appointment.employee_id, "starts_at": _instant(appointment.starts_at),
            "visit_type": appointment.visit_type, "version": appointment.version}


def scheduled_event(appointment: Appointment) -> dict[str, Any]:
    return appointment_event(appointment) | {
        "place": {"name": appointment.place_name, "address": appointment.place_address},
        "status": appointment.status}


def schedule_appointment(portal: Portal, command: ScheduleCommand, *, appointment_id: str | None = None) -> Appointment:
    """Staff schedule a visit for an employee the directory knows; raises AppointmentRejected."""
    with portal.uow() as tx:
        employee = tx.session.get(EmployeeDirectoryEntry, command.employee_id)
        cmd = check_schedule(command, employee_member_id=employee.member_id if employee else None, now=utcnow())
        appointment = Appointment(
            id=appointment_id or str(uuid.uuid4()), member_id=cmd.member_id, employee_id=cmd.employee_id,
            starts_at=cmd.starts_at, duration_minutes=cmd.duration_minutes, visit_type=cmd.visit_type,
            place_name=cmd.place.name, place_address=cmd.place.address, professional_kind=cmd.professional_kind,
            status=cmd.status, created_at=utcnow(), version=1,
        )
        tx.session.add(appointment)
        tx.session.flush()
        tx.record(events.APPOINTMENT_SCHEDULED, subject=appointment.id, member_id=appointment.member_id,
                  data=scheduled_event(appointment))
        tx.commit()
        return appointment


def seed_directory(portal: Portal, members: Iterable[dict[str, Any]], employees: Iterable[dict[str, Any]]) -> int:
    """Demo only: add directory entries that are absent, at version 1, so the real events become no-ops.

    Returns how many entries were added.
    """
    added = 0
    with portal.uow() as tx:
        for values in members:
            added += directory.add_if_absent(tx.session, MemberDirectoryEntry, values)
        for values in employees:
            added += directory.add_if_absent(tx.session, EmployeeDirectoryEntry, values)
        tx.commit()
    return added


# --- Requests -----------------------------------------------------------------------------------------------


def _employee_state(session: Session, employee_id: str) -> EmployeeState | None:
    # Locked: an exit being applied meanwhile either comes first (refused here) or closes the new request.
    entry = session.get(EmployeeDirectoryEntry, employee_id, with_for_update=True)
    if entry is None:
        return None
    open_request = session.scalar(select(func.count()).select_from(VisitRequest).where(
        VisitRequest.employee_id == employee_id, VisitRequest.visit_type == "embauche",
        VisitRequest.status.in_(OPEN_REQUEST_STATUSES)))
    open_appointment = session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.employee_id == employee_id, Appointment.visit_type == "embauche",
        Appointment.status.in_(OPEN_STATUSES)))
    return EmployeeState(member_id=entry.member_id, category=entry.monitoring_category,
                         exited=entry.exit_date is not None, embauche_planned=bool(open_request or open_appointment),
                         sir_exposure_ended=entry.sir_ended_on is not None)


def request_event(request: VisitRequest) -> dict[str, Any]:
    return {"request_id": request.id, "member_id": request.member_id, "employee_id": request.employee_id,
            "visit_type": request.visit_type, "due_by": request.due_by.isoformat() if request.due_by else None,
            "status": request.status, "version": request.version}


def request_visit(portal: Portal, command: RequestCommand, *, today: date) -> VisitRequest:
    """The employer asks for a visit; raises RequestRejected with the reasons."""
    with portal.uow() as tx:
        state = _employee_state(tx.session, command.employee_id)
        cmd, due_by = check_request(command, state, today=today, reprise_days=portal.settings.reprise_days)
        request = VisitRequest(
            id=str(uuid.uuid4()), member_id=cmd.member_id, employee_id=cmd.employee_id, visit_type=cmd.visit_type,
            return_date=cmd.return_date, due_by=due_by, preferred_from=cmd.preferred_from,
            preferred_to=cmd.preferred_to, preferred_time=cmd.preferred_time, constraints=cmd.constraints,
            comment=cmd.comment, status="demandee", created_at=utcnow(), version=1)
        tx.session.add(request)
        tx.session.flush()
        tx.record(events.APPOINTMENT_REQUESTED, subject=request.id, member_id=request.member_id,
                  data=request_event(request))
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
        request.status, request.version = "annulee", request.version + 1
        tx.record(events.APPOINTMENT_REQUESTED, subject=request.id, member_id=request.member_id,
                  data=request_event(request))
        tx.commit()
        return request


# --- Cancellation and attendance --------------------------------------------------------------------------


def visit_cancellation_limit(portal: Portal, appointment: Appointment) -> date:
    settings = portal.settings
    return cancellation_limit(appointment.starts_at.astimezone(PARIS).date(), settings.cancellation_business_days,
                              settings.holiday_subdivision)


def cancel_appointment(portal: Portal, appointment_id: str, *, member_id: str | None, today: date) -> Appointment:
    """The employer cancels up to the limit in jours ouvrés; staff (member_id None) at any time before the visit."""
    with portal.uow() as tx:
        appointment = tx.session.get(Appointment, appointment_id, with_for_update=True)
        if appointment is None or (member_id is not None and appointment.member_id != member_id):
            raise NotFound(appointment_id)
        if appointment.status not in OPEN_STATUSES or appointment.starts_at <= utcnow():
            raise CancellationRefused({"appointment_id": "Ce rendez-vous n'est plus annulable."})
        limit = visit_cancellation_limit(portal, appointment)
        if member_id is not None and today > limit:
            raise CancellationRefused({"appointment_id": (
                f"Annulation refusée : elle était possible jusqu'au {date_fr(limit)} inclus "
                f"({portal.settings.cancellation_business_days} jours ouvrés avant la visite). "
                "Contactez le service de santé au travail.")})
        cancelled_by = "staff" if member_id is None else "employer"
        appointment.status, appointment.version = "annulee", appointment.version + 1
        tx.record(events.APPOINTMENT_CANCELLED, subject=appointment.id, member_id=appointment.member_id,
                  data=appointment_event(appointment) | {"cancelled_by": cancelled_by})
        if appointment.request_id:
            _request_follows(tx, appointment, cancelled_by)
        tx.commit()
        return appointment


def _request_follows(tx: Any, appointment: Appointment, cancelled_by: str) -> None:
    """The request the cancelled visit was placed from: given up by the employer, or to place again."""
    session = tx.session
    # Employee before request, the order of placements and of exits: an exit cannot slip in between.
    employee = session.get(EmployeeDirectoryEntry, appointment.employee_id, with_for_update=True)
    request = session.get(VisitRequest, appointment.request_id, with_for_update=True)
    if request is None or request.status != "planifiee" or request.appointment_id != appointment.id:
        return
    request.status, request.closed_reason = after_cancellation(
        cancelled_by=cancelled_by, visit_type=request.visit_type,
        visit_day=appointment.starts_at.astimezone(PARIS).date(), exit_date=employee.exit_date if employee else None)
    request.version += 1
    if request.status in OPEN_REQUEST_STATUSES:
        request.appointment_id = None  # back in staff's list, free to go into another slot
    tx.record(events.APPOINTMENT_REQUESTED, subject=request.id, member_id=request.member_id,
              data=request_event(request))


def record_outcome(portal: Portal, appointment_id: str, status: str) -> Appointment:
    """Staff note attendance: réalisée (recomputes the obligations), absent excusé, or absent non excusé."""
    with portal.uow() as tx:
        appointment = tx.session.get(Appointment, appointment_id, with_for_update=True)
        if appointment is None:
            raise NotFound(appointment_id)
        check_outcome(status=appointment.status, new_status=status, starts_at=appointment.starts_at, now=utcnow())
        appointment.status, appointment.version = status, appointment.version + 1
        tx.session.flush()
        if status == "realisee":
            tracking.refresh_obligations(tx.session, appointment.employee_id, portal.settings.periods)
            tx.record(events.APPOINTMENT_ATTENDED, subject=appointment.id, member_id=appointment.member_id,
                      data=appointment_event(appointment))
        elif status == "absent_non_excuse":
            tx.record(events.APPOINTMENT_MISSED, subject=appointment.id, member_id=appointment.member_id,
                      data=appointment_event(appointment))
        tx.commit()
        return appointment


# --- Slots and placement --------------------------------------------------------------------------------------


def create_slot(portal: Portal, command: SlotCommand) -> Slot:
    with portal.uow() as tx:
        cmd = check_slot(command, now=utcnow())
        slot = Slot(id=str(uuid.uuid4()), centre_name=cmd.centre.name, centre_address=cmd.centre.address,
                    professional_kind=cmd.professional_kind, professional_name=cmd.professional_name,
                    starts_at=cmd.starts_at, duration_minutes=cmd.duration_minutes, capacity=cmd.capacity,
                    created_at=utcnow())
        tx.session.add(slot)
        tx.commit()
        return slot


def booked(session: Session, slot_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.slot_id == slot_id, Appointment.status != "annulee")) or 0


def _what_to_place(session: Session, *, request_id: str | None, obligation_id: str | None
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
    return bool(session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.employee_id == employee_id, Appointment.visit_type == visit_type,
        Appointment.status.in_(OPEN_STATUSES))))


def place_in_slot(portal: Portal, slot_id: str, *, request_id: str | None = None,
                  obligation_id: str | None = None) -> tuple[Appointment, bool]:
    """Convoke the employee into the slot; returns the appointment and whether a convocation e-mail was queued."""
    with portal.uow() as tx:
        session = tx.session
        # Locking the slot serialises placements into it, so its capacity holds under concurrency.
        slot = session.get(Slot, slot_id, with_for_update=True)
        if slot is None:
            raise NotFound(slot_id)
        employee_id, visit_type, rule, request = _what_to_place(session, request_id=request_id,
                                                                obligation_id=obligation_id)
        check_placement(visit_type=visit_type, rule=rule, professional_kind=slot.professional_kind,
                        slot_starts_at=slot.starts_at, booked=booked(session, slot.id), capacity=slot.capacity,
                        now=utcnow())
        # Locking the employee serialises placements of his visits, so a due visit is convoked only once.
        employee = session.get(EmployeeDirectoryEntry, employee_id, with_for_update=True)
        if request is not None:
            # Locked after the employee, as exits and cancellations do; read again now that it is locked.
            request = session.get(VisitRequest, request.id, with_for_update=True, populate_existing=True)
            if request is None or request.status not in OPEN_REQUEST_STATUSES:
                raise PlacementRejected({"request_id": REQUEST_NOT_OPEN})
        if employee is None or (employee.exit_date is not None and visit_type != "post_exposition"):
            raise PlacementRejected({"employee_id": "Ce salarié n'est plus dans l'entreprise."})
        if request is None and _open_visit_exists(session, employee_id, visit_type):
            raise PlacementRejected({"obligation_id": (
                "Cette visite est déjà convoquée pour ce salarié : annulez le rendez-vous existant ou notez "
                "sa présence avant d'en fixer un autre.")})
        appointment = Appointment(
            id=str(uuid.uuid4()), member_id=employee.member_id, employee_id=employee_id, starts_at=slot.starts_at,
            duration_minutes=slot.duration_minutes, visit_type=visit_type, place_name=slot.centre_name,
            place_address=slot.centre_address, professional_kind=slot.professional_kind, status="convoquee",
            created_at=utcnow(), version=1, slot_id=slot.id, request_id=request.id if request else None)
        session.add(appointment)
        if request is not None:
            request.status, request.version, request.appointment_id = "planifiee", request.version + 1, appointment.id
            tx.record(events.APPOINTMENT_REQUESTED, subject=request.id, member_id=request.member_id,
                      data=request_event(request))
        session.flush()
        tx.record(events.APPOINTMENT_SCHEDULED, subject=appointment.id, member_id=appointment.member_id,
                  data=scheduled_event(appointment))
        mailed = _convoke(portal, tx, appointment, employee, slot)
        tx.commit()
        return appointment, mailed


def _company_address(session: Session, company: MemberDirectoryEntry | None, day: date) -> tuple[str, ...]:
    """The company's convocation address in force on `day`, else its main address."""
    if company is None:
        return ()
    found = addressing.current_address(directory.convocation_addresses(session, company.member_id), day)
    if found is not None:
        return tuple(found.lines())
    return (company.address_line1, f"{company.postal_code} {company.city}")


def _convoke(portal: Portal, tx: Any, appointment: Appointment, employee: EmployeeDirectoryEntry, slot: Slot) -> bool:
    """Store the convocation PDF and queue the e-mail to the convocation contact (else the company's e-mail)."""
    company = tx.session.get(MemberDirectoryEntry, appointment.member_id)
    recipient = addressing.convocation_recipient(
        convocation_email=company.convocation_email, convocation_contact=company.convocation_contact,
        company_email=company.email) if company else None
    today = utcnow().astimezone(PARIS).date()
    details = convocation.Convocation(
        appointment_id=appointment.id, company_name=company.name if company else "",
        employee_name=f"{employee.last_name} {employee.first_names}", birth_date=employee.birth_date,
        starts_at=appointment.starts_at, duration_minutes=appointment.duration_minutes,
        visit_type=appointment.visit_type, place_name=appointment.place_name, place_address=appointment.place_address,
        professional=f"{PROFESSIONAL_KINDS[slot.professional_kind]} — {slot.professional_name}",
        cancellation_limit=visit_cancellation_limit(portal, appointment), portal_url=portal.settings.public_url,
        company_address=_company_address(tx.session, company, today),
        contact_name=recipient.name if recipient else None)
    _add_document(tx, appointment, "convocation", convocation.pdf(details), issued_on=today)
    if recipient is None:
        return False
    return tx.mail(convocation.mail(details, recipient.email, appointment.version))


# --- Documents ------------------------------------------------------------------------------------------------


def document_path(document_id: str) -> str:
    return f"/rendez-vous/documents/{document_id}"


def _add_document(tx: Any, appointment: Appointment, kind: str, content: bytes, *, issued_on: date) -> Document:
    employee = tx.session.get(EmployeeDirectoryEntry, appointment.employee_id)
    who = f"{employee.last_name} {employee.first_names}" if employee else ""
    document = Document(id=str(uuid.uuid4()), member_id=appointment.member_id, employee_id=appointment.employee_id,
                        appointment_id=appointment.id, kind=kind,
                        title=f"{DOCUMENT_KINDS[kind]} — {who} — {date_fr(appointment.starts_at)}"[:200],
                        issued_on=issued_on, content=content, created_at=utcnow())
    tx.session.add(document)
    tx.session.flush()
    tx.record(events.DOCUMENT_PUBLISHED, subject=document.id, member_id=document.member_id, data={
        "document_id": document.id, "member_id": document.member_id, "employee_id": document.employee_id,
        "kind": kind, "title": document.title, "issued_on": issued_on.isoformat(),
        "download_path": document_path(document.id)})
    return document


def publish_document(portal: Portal, appointment_id: str, kind: str, content: bytes) -> Document:
    """Staff publish the attestation or avis the employer is entitled to, after a realised visit."""
    with portal.uow() as tx:
        appointment = tx.session.get(Appointment, appointment_id)
        if appointment is None:
            raise NotFound(appointment_id)
        check_document(kind=kind, visit_type=appointment.visit_type, status=appointment.status, content=content)
        visit_day = appointment.starts_at.astimezone(PARIS).date()
        document = _add_document(tx, appointment, kind, content, issued_on=visit_day)
        tx.commit()
        return document


# --- Demo -------------------------------------------------------------------------------------------------------


def refresh_all_obligations(portal: Portal, employee_ids: Iterable[str]) -> None:
    """Demo only: compute the obligations of seeded employees (the real path is the event handlers)."""
    with portal.uow() as tx:
        for employee_id in employee_ids:
            tracking.refresh_obligations(tx.session, employee_id, portal.settings.periods)
        tx.commit()
