"""Workforce's hires and exits keep the 'salariés suivis' count shown on the company record (the consumer's
transaction; a count, not a change of the record: the member's version stays)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from portal_common.messaging.envelope import Envelope
from portal_common.messaging.event_types import EventType

from ..models import Member


def _add_followed(session: Session, member_id: str, delta: int) -> None:
    # Never below zero: an exit whose hire predates this counter (demo data, an older record) lowers nothing.
    followed = Member.employees_followed + delta
    session.execute(
        update(Member).where(Member.id == member_id).values(employees_followed=case((followed < 0, 0), else_=followed))
    )


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
        deltas[event.data["member_id"]] += 1 if event.type == EventType.WORKFORCE_EMPLOYEE_HIRED else -1
    for member_id in sorted(deltas):
        if deltas[member_id]:
            _add_followed(session, member_id, deltas[member_id])
