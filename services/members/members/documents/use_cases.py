"""A company's documents space: files it deposits (stored outside the web root, audited) and documents other
services produced for it (learnt from their events)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.service import Portal

from ..models import AppointmentCancellation, ConvocationReplacement, Document, Member
from ..record.rules import Actor, ChangeAction, ChangeKind, NotFound
from ..record.use_cases.audit import new_request
from .rules import DocumentSource, Upload, check_upload


def upload_dir(portal: Portal) -> Path:
    """Outside the web root: the service's data directory (PORTAL_DATA_DIR/members/uploads)."""
    return Path(portal.settings.data_dir).resolve() / "members" / "uploads"


def document_path(portal: Portal, document: Document) -> Path:
    return upload_dir(portal) / document.member_id / document.id


def add_upload(tx: Any, portal: Portal, member_id: str, upload: Upload, content: bytes, actor: Actor) -> Path:
    """The document row, its audit entry and its file (written now: the caller commits, or removes it)."""
    document_id = str(uuid.uuid4())
    document = Document(
        id=document_id,
        member_id=member_id,
        source=DocumentSource.UPLOAD,
        source_id=document_id,
        kind=upload.kind,
        title=upload.title,
        issued_on=upload.issued_on,
        download_path=None,
        filename=upload.filename,
        content_type=upload.file_type.content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor.user_id,
        uploaded_by_name=actor.name,
        created_at=utcnow(),
    )
    tx.session.add(document)
    tx.session.add(
        new_request(
            member_id,
            ChangeKind.DOCUMENT,
            ChangeAction.CREATE,
            {},
            {"title": upload.title, "filename": upload.filename},
            actor,
            target_id=document_id,
            pending=False,
        )
    )
    path = document_path(portal, document)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".part")
    try:
        partial.write_bytes(content)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def commit_with_file(tx: Any, path: Path) -> None:
    """Commits the transaction that lists a file just written, or removes the file."""
    try:
        tx.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def upload_document(
    portal: Portal, member_id: str, data: dict[str, Any], filename: str | None, content: bytes | None, actor: Actor
) -> Document:
    """A file the company deposits (e.g. its DUERP): checked by content, stored outside the web root, audited."""
    upload = check_upload(data, filename, content, today())
    assert content is not None
    with portal.uow() as tx:
        if tx.session.get(Member, member_id) is None:
            raise NotFound(member_id)
        path = add_upload(tx, portal, member_id, upload, content, actor)
        commit_with_file(tx, path)
        return tx.session.get(Document, path.name)


def delete_document(portal: Portal, member_id: str, document_id: str, actor: Actor) -> None:
    """Only files the company deposited can be removed (the others belong to their service)."""
    with portal.uow() as tx:
        document = tx.session.get(Document, document_id, with_for_update=True)
        if document is None or document.member_id != member_id or document.source != DocumentSource.UPLOAD:
            raise NotFound(document_id)
        path = document_path(portal, document)
        tx.session.add(
            new_request(
                member_id,
                ChangeKind.DOCUMENT,
                ChangeAction.DELETE,
                {"title": document.title, "filename": document.filename},
                {},
                actor,
                target_id=document_id,
                pending=False,
            )
        )
        tx.session.delete(document)
        tx.commit()
    path.unlink(missing_ok=True)


def record_produced_document(
    session: Session,
    *,
    source: str,
    source_id: str,
    member_id: str,
    kind: str,
    title: str,
    issued_on: date,
    download_path: str,
    appointment_id: str | None = None,
) -> None:
    """A document another service produced for a company, learnt from its event (idempotent, no commit:
    the consumer's transaction)."""
    if session.get(Member, member_id) is None:
        return  # a company this service does not know (yet): nothing to list
    existing = session.scalar(select(Document).where(Document.source == source, Document.source_id == source_id))
    if existing is None:
        session.add(
            Document(
                id=str(uuid.uuid4()),
                member_id=member_id,
                source=source,
                source_id=source_id,
                kind=kind,
                title=title,
                issued_on=issued_on,
                download_path=download_path,
                appointment_id=appointment_id,
                created_at=utcnow(),
            )
        )
    else:
        existing.kind, existing.title, existing.issued_on = kind, title, issued_on
        existing.download_path = download_path
        existing.appointment_id = appointment_id or existing.appointment_id


def record_appointment_cancelled(session: Session, *, appointment_id: str, member_id: str, cancelled_on: date) -> None:
    """Scheduling cancelled an appointment: its convocation, listed already or later, reads « Annulée »
    (idempotent, no commit: the consumer's transaction)."""
    if session.get(AppointmentCancellation, appointment_id) is None:
        session.add(
            AppointmentCancellation(appointment_id=appointment_id, member_id=member_id, cancelled_on=cancelled_on)
        )


def record_convocations_replaced(
    session: Session, *, document_ids: list[str], member_id: str, replaced_on: date
) -> None:
    """Scheduling moved a visit: the convocations it names, listed already or later, read « Remplacée » (idempotent,
    no commit: the consumer's transaction). The new convocation arrives as a document of its own."""
    for document_id in dict.fromkeys(document_ids):
        if session.get(ConvocationReplacement, document_id) is None:
            session.add(ConvocationReplacement(document_id=document_id, member_id=member_id, replaced_on=replaced_on))
