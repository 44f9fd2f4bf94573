"""Members' events billing keeps: registrations and record updates (billing identity, address, e-mail), SEPA
mandates (never the IBAN) and situation changes. Each runs in the consumer's transaction."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import PermanentError
from portal_common.messaging.envelope import Envelope

from . import use_cases
from .rules import snapshot_from_member_event


def on_member_registered(session: Session, event: Envelope) -> None:
    """Remember who billing may invoice; stale or repeated versions change nothing."""
    use_cases.apply_customer_snapshot(session, snapshot_from_member_event(event.data))


def on_member_updated(session: Session, event: Envelope) -> None:
    """A newer snapshot of the company (name, SIRET, address, billing e-mail…) replaces billing's copy."""
    try:
        snapshot = snapshot_from_member_event(event.data)
    except (KeyError, TypeError) as exc:
        raise PermanentError(f"unusable member update: {type(exc).__name__}") from exc
    use_cases.apply_customer_snapshot(session, snapshot)


def on_mandate_signed(session: Session, event: Envelope) -> None:
    data = event.data
    use_cases.sign_mandate(
        session,
        data["member_id"],
        reference=data["mandate_reference"],
        signed_on=date.fromisoformat(data["signed_on"]),
        version=data["version"],
    )


def on_mandate_revoked(session: Session, event: Envelope) -> None:
    data = event.data
    use_cases.revoke_mandate(session, data["member_id"], version=data["version"])


def on_situation_changed(session: Session, event: Envelope) -> None:
    data = event.data
    use_cases.change_situation(
        session,
        data["member_id"],
        kind=data["kind"],
        effective_on=date.fromisoformat(data["effective_date"]),
        version=data["version"],
    )
