"""Declaration handlers: billing's annual invoice marks the declaration it bills, in the consumer's transaction
(subscribed in worker.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portal_common.messaging.envelope import Envelope

from ..models import HeadcountDeclaration
from .rules import DeclarationStatus

# billing.invoice.issued.v1 also announces credit notes, which change nothing here.
CREDIT_NOTE_KIND = "avoir"


def on_invoice_issued(session: Session, event: Envelope) -> None:
    """The annual invoice of a confirmed declaration: the declaration shows "Facturée"."""
    data = event.data
    if not data.get("declaration_id") or data["kind"] == CREDIT_NOTE_KIND:
        return
    row = session.get(HeadcountDeclaration, data["declaration_id"])
    if row is None or row.member_id != data["member_id"] or row.status != DeclarationStatus.CONFIRMED:
        return
    row.status, row.invoice_id, row.invoice_number = DeclarationStatus.INVOICED, data["invoice_id"], data["number"]
    row.invoiced_on = date.fromisoformat(data["issued_on"])  # the version counter goes up at the consumer's flush
