"""Events the members service consumes."""
from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from portal_common.messaging.consumer import Subscription
from portal_common.messaging.envelope import Envelope

from .documents import invoice_title
from .models import Member
from .services import record_produced_document

EMPLOYEE_HIRED = "workforce.employee.hired.v1"
EMPLOYEE_EXITED = "workforce.employee.exited.v1"
INVOICE_ISSUED = "billing.invoice.issued.v1"
CREDIT_NOTE_ISSUED = "billing.credit_note.issued.v1"
DOCUMENT_PUBLISHED = "scheduling.document.published.v1"


def _add_followed(session: Session, member_id: str, delta: int) -> None:
    # Never below zero: an exit whose hire predates this counter (demo data, an older record) lowers nothing.
    followed = Member.employees_followed + delta
    session.execute(update(Member).where(Member.id == member_id)
                    .values(employees_followed=case((followed < 0, 0), else_=followed)))


def on_employee_hired(session: Session, event: Envelope) -> None:
    """Keeps the 'salariés suivis' count shown on the company record."""
    _add_followed(session, event.data["member_id"], 1)


def on_employee_exited(session: Session, event: Envelope) -> None:
    """A leaver is no longer followed."""
    _add_followed(session, event.data["member_id"], -1)


def on_headcount_changes(session: Session, events: list[Envelope]) -> None:
    """A batch of hires and exits: one update per company rather than one per event."""
    deltas: Counter[str] = Counter()
    for event in events:
        deltas[event.data["member_id"]] += 1 if event.type == EMPLOYEE_HIRED else -1
    for member_id in sorted(deltas):
        if deltas[member_id]:
            _add_followed(session, member_id, deltas[member_id])


def on_invoice_issued(session: Session, event: Envelope) -> None:
    """An invoice or credit note in the company's documents space, its PDF served by billing."""
    data = event.data
    kind, title = invoice_title(data["number"], data["kind"])
    record_produced_document(session, source="billing", source_id=data["invoice_id"], member_id=data["member_id"],
                             kind=kind, title=title, issued_on=date.fromisoformat(data["issued_on"]),
                             download_path=data.get("download_path") or f"/factures/{data['invoice_id']}/pdf")


def on_credit_note_issued(session: Session, event: Envelope) -> None:
    """A credit note (avoir), its PDF served by billing; listed once even if its invoice event came too."""
    data = event.data
    kind, title = invoice_title(data["number"], "avoir")
    record_produced_document(session, source="billing", source_id=data["credit_note_id"],
                             member_id=data["member_id"], kind=kind, title=title,
                             issued_on=date.fromisoformat(data["issued_on"]),
                             download_path=data.get("download_path") or f"/factures/{data['credit_note_id']}/pdf")


def on_document_published(session: Session, event: Envelope) -> None:
    """An attestation, an avis or a convocation scheduling published for the employer, served by scheduling."""
    data = event.data
    record_produced_document(session, source="scheduling", source_id=data["document_id"],
                             member_id=data["member_id"], kind=data["kind"], title=data["title"],
                             issued_on=date.fromisoformat(data["issued_on"]), download_path=data["download_path"])


SUBSCRIPTIONS = [
    # Every hire reaches this queue: a steady hiring rate is applied by batches (a hire waits up to 200 ms for
    # others to join: the count on the record can be that late) rather than one transaction per hire.
    Subscription("members.headcount", {EMPLOYEE_HIRED: on_employee_hired, EMPLOYEE_EXITED: on_employee_exited},
                 batch_size=100, batch_wait_ms=200, batch_handler=on_headcount_changes),
    Subscription("members.documents", {INVOICE_ISSUED: on_invoice_issued, CREDIT_NOTE_ISSUED: on_credit_note_issued,
                                       DOCUMENT_PUBLISHED: on_document_published}),
]
