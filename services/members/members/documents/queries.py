"""Read side of a company's documents space."""

from __future__ import annotations

from sqlalchemy import select

from portal_common.service import portal

from ..models import Document
from .rules import KIND_LABELS, DocumentSource


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


def document_of(member_id: str, document_id: str) -> Document | None:
    """A document of this company only: another company's id is simply not found."""
    document = portal().db.session.get(Document, document_id)
    return document if document is not None and document.member_id == member_id else None


def document_as_dict(document: Document, *, staff_view: bool = False) -> dict:
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
    }
