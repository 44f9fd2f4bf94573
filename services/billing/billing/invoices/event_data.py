"""The data of the events billing publishes about an invoice: issued, credited, paid (plain values)."""

from __future__ import annotations

from typing import Any

from ..campaign.rules import CANCELLATION_PREFIX
from ..credit_notes.rules import CreditNoteReason


def issued_event(invoice: Any) -> dict:
    return {
        "invoice_id": invoice.id,
        "member_id": invoice.member_id,
        "number": invoice.number,
        "kind": invoice.kind,
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        # A string keeps the exact cents; JSON numbers are floats for most consumers.
        "amount_incl_tax": f"{invoice.amount_incl_tax:.2f}",
        "status": invoice.status,
        "version": invoice.version,
        "declaration_id": invoice.declaration_id,
        "download_path": f"/factures/{invoice.id}/pdf",
    }


def credit_note_event(note: Any, corrected: Any | None) -> dict:
    if note.source_key and note.source_key.startswith(CANCELLATION_PREFIX):
        reason = CreditNoteReason.ESTIMATE_CANCELLED
    else:
        reason = CreditNoteReason.CORRECTION if corrected is not None else CreditNoteReason.OTHER
    return {
        "credit_note_id": note.id,
        "member_id": note.member_id,
        "number": note.number,
        "issued_on": note.issued_on.isoformat(),
        "amount_incl_tax": f"{note.amount_incl_tax:.2f}",
        "corrects_invoice_id": corrected.id if corrected is not None else None,
        "corrects_number": corrected.number if corrected is not None else None,
        "reason": reason,
        "status": note.status,
        "version": note.version,
        "download_path": f"/factures/{note.id}/pdf",
    }


def paid_event(invoice: Any, payment: Any) -> dict:
    return {
        "invoice_id": invoice.id,
        "member_id": invoice.member_id,
        "number": invoice.number,
        "payment_id": payment.id,
        "method": payment.method,
        "amount": f"{payment.amount:.2f}",
        "applied_amount": f"{payment.applied_amount:.2f}",
        "credit_amount": f"{payment.amount - payment.applied_amount:.2f}",
        "amount_due": f"{invoice.amount_due:.2f}",
        "status": invoice.status,
        "received_on": payment.received_on.isoformat(),
        "version": invoice.version,
    }
