"""Read side: obligations, requests, slots, appointments and documents, from the request-bound session."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.orm import defer

from portal_common.service import portal

from .domain import (DOCUMENT_KINDS, OPEN_STATUSES, PROFESSIONAL_KINDS, PUBLISHABLE_KINDS, STATUSES, VISIT_TYPES,
                     WHEN_PAST, WHEN_UPCOMING)
from .models import (Appointment, Document, EmployeeDirectoryEntry, MemberDirectoryEntry, Slot, VisitObligation,
                     VisitRequest)
from .obligations import RULE_LABELS, URGENCY_LABELS, urgency
from .visit_requests import OPEN_REQUEST_STATUSES, REQUEST_STATUSES

LIST_LIMIT = 500
# Badge colour of each status on the pages.
STATUS_BADGES = {
    "demandee": "badge-neutral", "planifiee": "badge-info", "convoquee": "badge-info",
    "realisee": "badge-success", "absent_excuse": "badge-warning", "absent_non_excuse": "badge-danger",
    "annulee": "badge-neutral",
}

Row = tuple[Appointment, EmployeeDirectoryEntry | None]


def appointment_as_dict(appointment: Appointment, employee: EmployeeDirectoryEntry | None) -> dict[str, Any]:
    """The API shape; the employee's identity is null until workforce's event has arrived."""
    return {
        "id": appointment.id, "member_id": appointment.member_id, "employee_id": appointment.employee_id,
        "employee": {
            "last_name": employee.last_name if employee else None,
            "birth_name": employee.birth_name if employee else None,
            "first_names": employee.first_names if employee else None,
            "birth_date": employee.birth_date if employee else None,
        },
        "starts_at": appointment.starts_at, "duration_minutes": appointment.duration_minutes,
        "visit_type": appointment.visit_type, "visit_type_label": VISIT_TYPES[appointment.visit_type],
        "place": {"name": appointment.place_name, "address": appointment.place_address},
        "professional_kind": appointment.professional_kind,
        "professional_kind_label": PROFESSIONAL_KINDS[appointment.professional_kind],
        "status": appointment.status, "status_label": STATUSES[appointment.status],
        "created_at": appointment.created_at, "version": appointment.version,
    }


def _with_employee() -> Select:
    return select(Appointment, EmployeeDirectoryEntry).outerjoin(
        EmployeeDirectoryEntry, EmployeeDirectoryEntry.employee_id == Appointment.employee_id)


def get_appointment(appointment_id: str) -> Row | None:
    row = portal().db.session.execute(_with_employee().where(Appointment.id == appointment_id)).first()
    return (row[0], row[1]) if row else None


def list_appointments(*, member_id: str | None, when: str, now: datetime, employee_id: str | None = None) -> list[Row]:
    """Appointments of one company (all companies when member_id is None): upcoming soonest first, past latest first."""
    stmt = _with_employee()
    if member_id is not None:
        stmt = stmt.where(Appointment.member_id == member_id)
    if employee_id:
        stmt = stmt.where(Appointment.employee_id == employee_id)
    if when == WHEN_UPCOMING:
        stmt = stmt.where(Appointment.starts_at >= now).order_by(Appointment.starts_at, Appointment.id)
    elif when == WHEN_PAST:
        stmt = stmt.where(Appointment.starts_at < now).order_by(Appointment.starts_at.desc(), Appointment.id)
    else:
        stmt = stmt.order_by(Appointment.starts_at.desc(), Appointment.id)
    return [(a, e) for a, e in portal().db.session.execute(stmt.limit(LIST_LIMIT))]


def get_member(member_id: str) -> MemberDirectoryEntry | None:
    return portal().db.session.get(MemberDirectoryEntry, member_id)


def get_employee(employee_id: str) -> EmployeeDirectoryEntry | None:
    return portal().db.session.get(EmployeeDirectoryEntry, employee_id)


def company_employees(member_id: str) -> list[EmployeeDirectoryEntry]:
    """The employees of a company known here, for the page's filter."""
    stmt = (select(EmployeeDirectoryEntry).where(EmployeeDirectoryEntry.member_id == member_id)
            .order_by(EmployeeDirectoryEntry.last_name, EmployeeDirectoryEntry.first_names))
    return list(portal().db.session.scalars(stmt.limit(LIST_LIMIT)))


# --- Obligations, requests, slots, documents -------------------------------------------------------------------

ObligationRow = tuple[VisitObligation, EmployeeDirectoryEntry]


def list_obligations(*, member_id: str | None, due_before: date | None, employee_id: str | None = None,
                     limit: int = LIST_LIMIT) -> list[ObligationRow]:
    """Obligations soonest due first: one company's, or every company's for staff (member_id None)."""
    stmt = select(VisitObligation, EmployeeDirectoryEntry).join(
        EmployeeDirectoryEntry, EmployeeDirectoryEntry.employee_id == VisitObligation.employee_id)
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
    for employee_id, visit_type in session.execute(select(VisitRequest.employee_id, VisitRequest.visit_type).where(
            VisitRequest.employee_id.in_(ids), VisitRequest.status.in_(OPEN_REQUEST_STATUSES))):
        found[(employee_id, visit_type)] = "demandee"
    for employee_id, visit_type in session.execute(select(Appointment.employee_id, Appointment.visit_type).where(
            Appointment.employee_id.in_(ids), Appointment.status.in_(OPEN_STATUSES))):
        found[(employee_id, visit_type)] = "planifiee"
    return found


def obligation_as_dict(obligation: VisitObligation, employee: EmployeeDirectoryEntry, *, today: date,
                       planned: dict[tuple[str, str], str]) -> dict[str, Any]:
    state = urgency(obligation.due_on, today)
    return {"id": obligation.id, "member_id": obligation.member_id, "employee_id": obligation.employee_id,
            "employee": {"last_name": employee.last_name, "birth_name": employee.birth_name,
                         "first_names": employee.first_names, "birth_date": employee.birth_date},
            "rule": obligation.rule, "rule_label": RULE_LABELS[obligation.rule],
            "visit_type": obligation.visit_type, "visit_type_label": VISIT_TYPES[obligation.visit_type],
            "due_on": obligation.due_on, "before_post": obligation.before_post,
            "urgency": state, "urgency_label": URGENCY_LABELS[state],
            "planned": planned.get((obligation.employee_id, obligation.visit_type)),
            "employee_left": employee.exit_date is not None}


RequestRow = tuple[VisitRequest, EmployeeDirectoryEntry | None]


def list_requests(*, member_id: str | None, open_only: bool, employee_id: str | None = None) -> list[RequestRow]:
    stmt = select(VisitRequest, EmployeeDirectoryEntry).outerjoin(
        EmployeeDirectoryEntry, EmployeeDirectoryEntry.employee_id == VisitRequest.employee_id)
    if member_id is not None:
        stmt = stmt.where(VisitRequest.member_id == member_id)
    if employee_id:
        stmt = stmt.where(VisitRequest.employee_id == employee_id)
    if open_only:
        stmt = stmt.where(VisitRequest.status.in_(OPEN_REQUEST_STATUSES))
    stmt = stmt.order_by(VisitRequest.due_by.is_(None), VisitRequest.due_by, VisitRequest.created_at).limit(LIST_LIMIT)
    return [(r, e) for r, e in portal().db.session.execute(stmt)]


def request_as_dict(request: VisitRequest, employee: EmployeeDirectoryEntry | None) -> dict[str, Any]:
    return {"id": request.id, "member_id": request.member_id, "employee_id": request.employee_id,
            "employee_name": f"{employee.last_name} {employee.first_names}" if employee else None,
            "visit_type": request.visit_type, "visit_type_label": VISIT_TYPES[request.visit_type],
            "return_date": request.return_date, "due_by": request.due_by, "preferred_from": request.preferred_from,
            "preferred_to": request.preferred_to, "preferred_time": request.preferred_time,
            "constraints": request.constraints, "comment": request.comment, "status": request.status,
            "status_label": REQUEST_STATUSES[request.status], "closed_reason": request.closed_reason,
            "appointment_id": request.appointment_id,
            "created_at": request.created_at, "version": request.version}


def get_request(request_id: str) -> VisitRequest | None:
    return portal().db.session.get(VisitRequest, request_id)


def list_slots(*, now: datetime) -> list[tuple[Slot, int]]:
    """Slots to come with how many appointments they already hold."""
    taken = (select(Appointment.slot_id, func.count().label("n")).where(Appointment.status != "annulee")
             .group_by(Appointment.slot_id).subquery())
    stmt = (select(Slot, func.coalesce(taken.c.n, 0)).outerjoin(taken, taken.c.slot_id == Slot.id)
            .where(Slot.starts_at > now).order_by(Slot.starts_at, Slot.id).limit(LIST_LIMIT))
    return [(slot, int(n)) for slot, n in portal().db.session.execute(stmt)]


def slot_as_dict(slot: Slot, booked: int) -> dict[str, Any]:
    return {"id": slot.id, "centre": {"name": slot.centre_name, "address": slot.centre_address},
            "professional_kind": slot.professional_kind,
            "professional_kind_label": PROFESSIONAL_KINDS[slot.professional_kind],
            "professional_name": slot.professional_name, "starts_at": slot.starts_at,
            "duration_minutes": slot.duration_minutes, "capacity": slot.capacity, "booked": booked}


def visits_to_record(*, now: datetime) -> list[Row]:
    """Visits whose time has passed and whose attendance staff have not noted yet."""
    stmt = (_with_employee().where(Appointment.starts_at <= now, Appointment.status.in_(OPEN_STATUSES))
            .order_by(Appointment.starts_at, Appointment.id).limit(LIST_LIMIT))
    return [(a, e) for a, e in portal().db.session.execute(stmt)]


def realised_without_document(*, limit: int = 100) -> list[Row]:
    """Recent realised visits with no attestation or avis yet."""
    has_document = (select(Document.id).where(Document.appointment_id == Appointment.id,
                                              Document.kind.in_(PUBLISHABLE_KINDS)).exists())
    stmt = (_with_employee().where(Appointment.status == "realisee", ~has_document)
            .order_by(Appointment.starts_at.desc(), Appointment.id).limit(limit))
    return [(a, e) for a, e in portal().db.session.execute(stmt)]


def documents_by_appointment(appointment_ids: Iterable[str]) -> dict[str, list[Document]]:
    ids = list(appointment_ids)
    found: dict[str, list[Document]] = {}
    if not ids:
        return found
    stmt = (select(Document).where(Document.appointment_id.in_(ids)).order_by(Document.created_at)
            .options(defer(Document.content)))
    for document in portal().db.session.scalars(stmt):
        found.setdefault(document.appointment_id, []).append(document)
    return found


def list_documents(*, member_id: str | None) -> list[Document]:
    stmt = select(Document).options(defer(Document.content)).order_by(Document.issued_on.desc(), Document.id)
    if member_id is not None:
        stmt = stmt.where(Document.member_id == member_id)
    return list(portal().db.session.scalars(stmt.limit(LIST_LIMIT)))


def document_as_dict(document: Document) -> dict[str, Any]:
    return {"id": document.id, "member_id": document.member_id, "employee_id": document.employee_id,
            "appointment_id": document.appointment_id, "kind": document.kind,
            "kind_label": DOCUMENT_KINDS[document.kind], "title": document.title, "issued_on": document.issued_on,
            "download_path": f"/rendez-vous/documents/{document.id}"}


def get_document(document_id: str) -> Document | None:
    return portal().db.session.get(Document, document_id)


def get_slot(slot_id: str) -> Slot | None:
    return portal().db.session.get(Slot, slot_id)
