"""Documents other services produced for a company, learnt from their events (the consumer's transaction)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portal_common.messaging.envelope import Envelope

from .rules import DocumentSource, invoice_title
from .use_cases import record_produced_document


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
    )
