"""What adds a document the employer sees: a convocation at placement, an attestation or avis after a visit."""

from __future__ import annotations

import uuid
from datetime import date

from portal_common.clock import PARIS, utcnow
from portal_common.db import UnitOfWork
from portal_common.formats import date_fr
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ..appointments.rules import NotFound
from ..models import Appointment, Document, EmployeeDirectoryEntry
from .rules import check_document, document_path, document_title


def add_document(tx: UnitOfWork, appointment: Appointment, kind: str, content: bytes, *, issued_on: date) -> Document:
    """Store the PDF and publish scheduling.document.published.v1, in the caller's transaction."""
    employee = tx.session.get(EmployeeDirectoryEntry, appointment.employee_id)
    who = f"{employee.last_name} {employee.first_names}" if employee else ""
    document = Document(
        id=str(uuid.uuid4()),
        member_id=appointment.member_id,
        employee_id=appointment.employee_id,
        appointment_id=appointment.id,
        kind=kind,
        title=document_title(kind, who, date_fr(appointment.starts_at)),
        issued_on=issued_on,
        content=content,
        created_at=utcnow(),
    )
    tx.session.add(document)
    tx.session.flush()
    tx.record(
        EventType.SCHEDULING_DOCUMENT_PUBLISHED,
        subject=document.id,
        member_id=document.member_id,
        data={
            "document_id": document.id,
            "member_id": document.member_id,
            "employee_id": document.employee_id,
            "appointment_id": document.appointment_id,
            "kind": kind,
            "title": document.title,
            "issued_on": issued_on.isoformat(),
            "download_path": document_path(document.id),
        },
    )
    return document


def publish_document(portal: Portal, appointment_id: str, kind: str, content: bytes) -> Document:
    """Staff publish the attestation or avis the employer is entitled to, after a realised visit."""
    with portal.uow() as tx:
        appointment = tx.session.get(Appointment, appointment_id)
        if appointment is None:
            raise NotFound(appointment_id)
        check_document(kind=kind, visit_type=appointment.visit_type, status=appointment.status, content=content)
        visit_day = appointment.starts_at.astimezone(PARIS).date()
        document = add_document(tx, appointment, kind, content, issued_on=visit_day)
        tx.commit()
        return document
