"""Missed appointments and hires, turned into no-show and late-hire fees."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import PermanentError
from portal_common.messaging.envelope import Envelope

from ..sepa.rules import NoticeCreditor
from .rules import FeeEventInvalid, Hire, RecordedOutcome
from .use_cases import follow_outcome, invoice_late_hire, invoice_late_hires

UNUSABLE = (FeeEventInvalid, KeyError, TypeError, ValueError)


def on_appointment_missed(session: Session, event: Envelope, *, creditor: NoticeCreditor | None = None) -> None:
    """The no-show fee, once per appointment (unless a later correction already said otherwise)."""
    try:
        outcome = RecordedOutcome.from_missed(event.data)
    except UNUSABLE as exc:
        raise PermanentError(f"unusable missed appointment: {type(exc).__name__}") from exc
    follow_outcome(session, outcome, creditor=creditor)


def on_outcome_corrected(session: Session, event: Envelope, *, creditor: NoticeCreditor | None = None) -> None:
    """A corrected outcome: the no-show fee cancelled by a credit note when the absence is no longer unexcused,
    billed when it now is. `creditor` (bound by worker.subscriptions) names the service on the corrected notice
    of a SEPA debit the credit note lowers."""
    try:
        outcome = RecordedOutcome.from_correction(event.data)
    except UNUSABLE as exc:
        raise PermanentError(f"unusable outcome correction: {type(exc).__name__}") from exc
    follow_outcome(session, outcome, creditor=creditor)


def on_employee_hired(session: Session, event: Envelope) -> None:
    """The late-hire fee for a hire after 1 January of a year the company declared (kept until the
    declaration arrives when the hire overtakes it)."""
    try:
        hire = Hire.from_event(event.data)
    except UNUSABLE as exc:
        raise PermanentError(f"unusable hire: {type(exc).__name__}") from exc
    invoice_late_hire(session, hire)


def on_employees_hired(session: Session, events: list[Envelope]) -> None:
    """A batch of hires in one transaction and a few statements (an unusable one fails the batch, which the
    consumer then handles one by one: that hire alone is dead-lettered)."""
    try:
        hires = [Hire.from_event(event.data) for event in events]
    except UNUSABLE as exc:
        raise PermanentError(f"unusable hire: {type(exc).__name__}") from exc
    invoice_late_hires(session, hires)
