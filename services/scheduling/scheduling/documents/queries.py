"""Read side of the documents the employer may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from portal_common.service import portal

from ..appointments.queries import LIST_LIMIT, Row, with_employee
from ..appointments.rules import AppointmentStatus
from ..models import Appointment, Document
from ..slots.use_cases import cancelled_convocation_pdf
from .rules import DOCUMENT_KINDS, PUBLISHABLE_KINDS, DocumentKind, document_path, served_as_cancelled


def realised_without_document(*, limit: int = 100) -> list[Row]:
    """Recent realised visits with no attestation or avis yet."""
    has_document = (
        select(Document.id)
        .where(Document.appointment_id == Appointment.id, Document.kind.in_(PUBLISHABLE_KINDS))
        .exists()
    )
    stmt = (
        with_employee()
        .where(Appointment.status == AppointmentStatus.REALISEE, ~has_document)
        .order_by(Appointment.starts_at.desc(), Appointment.id)
        .limit(limit)
    )
    return [(a, e) for a, e in portal().db.session.execute(stmt)]


def documents_by_appointment(appointment_ids: Iterable[str]) -> dict[str, list[Document]]:
    ids = list(appointment_ids)
    found: dict[str, list[Document]] = {}
    if not ids:
        return found
    stmt = (
        select(Document)
        .where(Document.appointment_id.in_(ids))
        .order_by(Document.created_at)
        .options(defer(Document.content))
    )
    for document in portal().db.session.scalars(stmt):
        found.setdefault(document.appointment_id, []).append(document)
    return found


def list_documents(*, member_id: str | None) -> list[Document]:
    stmt = select(Document).options(defer(Document.content)).order_by(Document.issued_on.desc(), Document.id)
    if member_id is not None:
        stmt = stmt.where(Document.member_id == member_id)
    return list(portal().db.session.scalars(stmt.limit(LIST_LIMIT)))


def document_as_dict(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "member_id": document.member_id,
        "employee_id": document.employee_id,
        "appointment_id": document.appointment_id,
        "kind": document.kind,
        "kind_label": DOCUMENT_KINDS[document.kind],
        "title": document.title,
        "issued_on": document.issued_on,
        "download_path": document_path(document.id),
    }


def get_document(document_id: str) -> Document | None:
    return portal().db.session.get(Document, document_id)


def served_content(document: Document) -> bytes:
    """The PDF as downloaded: as stored, except a cancelled visit's convocation, printed again from the visit's
    stored state under a cancellation banner (the visit alone records the cancellation, whenever it happened)."""
    if document.kind != DocumentKind.CONVOCATION:
        return document.content  # an attestation or avis: no visit to read
    session = portal().db.session
    appointment = session.get(Appointment, document.appointment_id)
    if appointment is None or not served_as_cancelled(document.kind, appointment.status):
        return document.content
    return cancelled_convocation_pdf(portal(), session, appointment, document.issued_on)
