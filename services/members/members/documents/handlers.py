"""Documents other services produced for a company, learnt from their events (the consumer's transaction)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from portal_common.clock import PARIS
from portal_common.messaging.envelope import Envelope

from .rules import DocumentSource, invoice_title
from .use_cases import record_appointment_cancelled, record_convocations_replaced, record_produced_document


def on_invoice_issued(session: Session, event: Envelope) -> None:
    """An invoice or credit note in the company's documents space, its PDF served by billing."""
    _billing_document(session, event.data, event.data["invoice_id"], event.data["kind"])


def on_credit_note_issued(session: Session, event: Envelope) -> None:
    """A credit note (avoir), its PDF served by billing; listed once even if its invoice event came too."""
    _billing_document(session, event.data, event.data["credit_note_id"], "avoir")


def _billing_document(session: Session, data: dict, document_id: str, billing_kind: str) -> None:
    kind, title = invoice_title(data["number"], billing_kind)
    record_produced_document(
        session,
        source=DocumentSource.BILLING,
        source_id=document_id,
        member_id=data["member_id"],
        kind=kind,
        title=title,
        issued_on=date.fromisoformat(data["issued_on"]),
        download_path=data.get("download_path") or f"/factures/{document_id}/pdf",
    )


def on_document_published(session: Session, event: Envelope) -> None:
    """An attestation, an avis or a convocation scheduling published for the employer, served by scheduling."""
    data = event.data
    record_produced_document(
        session,
        source=DocumentSource.SCHEDULING,
        source_id=data["document_id"],
        member_id=data["member_id"],
        kind=data["kind"],
        title=data["title"],
        issued_on=date.fromisoformat(data["issued_on"]),
        download_path=data["download_path"],
        appointment_id=data.get("appointment_id"),
    )


def on_appointment_cancelled(session: Session, event: Envelope) -> None:
    """A cancelled appointment: its convocation stays in the documents space, marked « Annulée »."""
    record_appointment_cancelled(
        session,
        appointment_id=event.data["appointment_id"],
        member_id=event.data["member_id"],
        cancelled_on=_day(event),
    )


def on_appointment_rescheduled(session: Session, event: Envelope) -> None:
    """A moved appointment: the convocations it replaces stay listed, marked « Remplacée »; the new one comes as
    its own scheduling.document.published.v1."""
    record_convocations_replaced(
        session,
        document_ids=event.data["replaced_document_ids"],
        member_id=event.data["member_id"],
        replaced_on=_day(event),
    )


def _day(event: Envelope) -> date:
    return datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00")).astimezone(PARIS).date()
