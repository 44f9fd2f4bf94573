"""Confirmed headcount declarations, turned into their annual invoices (one by one, or by batches in January)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from portal_common.clock import PARIS
from portal_common.messaging.consumer import PermanentError
from portal_common.messaging.envelope import Envelope

from ..sepa.rules import NoticeCreditor
from .annual import Declaration, DeclarationInvalid
from .use_cases.declarations import invoice_declarations, receive_declaration

UNUSABLE = (DeclarationInvalid, KeyError, TypeError, ValueError)


def confirmed_on(event: Envelope) -> date:
    """The day (Paris time) the declaration was confirmed: its confirmed_at, else when the event occurred."""
    moment = datetime.fromisoformat(str(event.data.get("confirmed_at") or event.occurred_at).replace("Z", "+00:00"))
    return moment.astimezone(PARIS).date()


def _declaration(event: Envelope) -> Declaration:
    try:
        return Declaration.from_event(event.data)
    except UNUSABLE as exc:
        raise PermanentError(f"unusable declaration: {type(exc).__name__}") from exc


def on_declaration_confirmed(session: Session, event: Envelope, *, creditor: NoticeCreditor | None = None) -> None:
    """Issue the annual invoice; a repeated delivery, even under another event id, issues nothing.

    `creditor` (bound by worker.subscriptions from the settings) names the service on the corrected notices of
    SEPA debits lowered by a cancelled estimate.
    """
    receive_declaration(session, _declaration(event), confirmed_on=confirmed_on(event), creditor=creditor)


def on_declarations_confirmed(
    session: Session, events: list[Envelope], *, creditor: NoticeCreditor | None = None
) -> None:
    """A batch of declarations (the January rush): the same as on_declaration_confirmed for each, at once."""
    received = [(_declaration(event), confirmed_on(event), event.id, event.correlation_id) for event in events]
    invoice_declarations(session, received, creditor=creditor)
