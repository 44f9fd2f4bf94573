"""Campaign closings, turned into estimated invoices for the members who did not declare."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import PermanentError
from portal_common.messaging.envelope import Envelope

from ..invoices.annual import DeclarationInvalid
from .rules import CampaignClosed
from .use_cases import estimate_undeclared

UNUSABLE = (DeclarationInvalid, KeyError, TypeError, ValueError)


def on_campaign_closed(session: Session, event: Envelope) -> None:
    """Estimated invoices for the members who did not declare; a repeated closing estimates nobody twice."""
    try:
        closed = CampaignClosed.from_event(event.data)
    except UNUSABLE as exc:
        raise PermanentError(f"unusable campaign closing: {type(exc).__name__}") from exc
    estimate_undeclared(session, closed)
