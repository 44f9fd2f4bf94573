"""Read side of a company's documents space."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal_common.service import portal

from ..models import AppointmentCancellation, ConvocationReplacement, Document
from .rules import KIND_LABELS, DocumentSource, status_label


def documents_of(member_id: str) -> list[Document]:
    """The company's documents space, newest first: produced by the other services and deposited."""
    return list(
        portal().db.session.scalars(
            select(Document)
            .where(Document.member_id == member_id)
            .order_by(Document.issued_on.desc(), Document.created_at.desc())
            .limit(1000)
        )
    )


def cancellations_of(member_id: str) -> dict[str, date]:
    """The day each of this company's cancelled appointments was cancelled, by appointment id."""
    rows = portal().db.session.execute(
        select(AppointmentCancellation.appointment_id, AppointmentCancellation.cancelled_on).where(
            AppointmentCancellation.member_id == member_id
        )
    )
    return {row.appointment_id: row.cancelled_on for row in rows}


def replacements_of(member_id: str) -> dict[str, date]:
    """The day each of this company's replaced convocations was replaced, by scheduling's document id."""
    rows = portal().db.session.execute(
        select(ConvocationReplacement.document_id, ConvocationReplacement.replaced_on).where(
            ConvocationReplacement.member_id == member_id
        )
    )
    return {row.document_id: row.replaced_on for row in rows}


def documents_listed(member_id: str, *, staff_view: bool = False) -> list[dict]:
    """The documents space as shown: a cancelled appointment's convocation carries its cancellation day, one
    replaced when its visit moved the day it was."""
    cancelled = cancellations_of(member_id)
    replaced = replacements_of(member_id)
    return [
        document_as_dict(
            d,
            staff_view=staff_view,
            cancelled_on=cancelled.get(d.appointment_id or ""),
            replaced_on=replaced.get(d.source_id) if d.source == DocumentSource.SCHEDULING else None,
        )
        for d in documents_of(member_id)
    ]


def document_of(member_id: str, document_id: str) -> Document | None:
    """A document of this company only: another company's id is simply not found."""
    document = portal().db.session.get(Document, document_id)
    return document if document is not None and document.member_id == member_id else None


def document_as_dict(
    document: Document, *, staff_view: bool = False, cancelled_on: date | None = None, replaced_on: date | None = None
) -> dict:
    if document.source == DocumentSource.UPLOAD:
        base = f"/gestion/adherents/{document.member_id}/documents" if staff_view else "/adherent/documents"
        url = f"{base}/{document.id}/fichier"
    else:
        url = document.download_path
    return {
        "id": document.id,
        "source": document.source,
        "kind": document.kind,
        "kind_label": KIND_LABELS.get(document.kind, document.kind),
        "title": document.title,
        "issued_on": document.issued_on,
        "url": url,
        "filename": document.filename,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "uploaded_by_name": document.uploaded_by_name,
        "cancelled_on": cancelled_on,
        "replaced_on": replaced_on,
        "status_label": status_label(cancelled_on, replaced_on),
    }
