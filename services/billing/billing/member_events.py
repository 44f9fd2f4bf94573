"""What billing keeps from members' events besides registrations: record updates (billing identity, address,
e-mail), SEPA mandates (never the IBAN) and situation changes. Each runs in the consumer's transaction."""
from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session

from portal_common.clock import utcnow
from portal_common.messaging.consumer import PermanentError
from portal_common.messaging.envelope import Envelope

from . import services
from .models import BillingCustomer, SepaDebit
from .sepa import NO_DEBIT_SITUATIONS
from .sepa_services import CANCELLED, PRENOTIFIED

log = logging.getLogger(__name__)

MEMBER_UPDATED = "members.member.updated.v1"
MANDATE_SIGNED = "members.sepa_mandate.signed.v1"
MANDATE_REVOKED = "members.sepa_mandate.revoked.v1"
SITUATION_CHANGED = "members.situation.changed.v1"


class CustomerNotYetKnown(Exception):
    """The company's registration has not reached billing yet: the consumer retries the event later."""


def _customer(session: Session, member_id: str) -> BillingCustomer:
    customer = session.get(BillingCustomer, member_id, with_for_update=True)
    if customer is None:
        raise CustomerNotYetKnown(member_id)
    return customer


def _cancel_pending_debits(session: Session, member_id: str) -> None:
    """Debits pre-notified but not yet sent to the bank are dropped (sent ones are the bank's business)."""
    session.execute(update(SepaDebit).where(SepaDebit.member_id == member_id, SepaDebit.status == PRENOTIFIED)
                    .values(status=CANCELLED))


def on_member_updated(session: Session, event: Envelope) -> None:
    """A newer snapshot of the company (name, SIRET, address, billing e-mail…) replaces billing's copy."""
    from .handlers import snapshot_from_member_event

    try:
        snapshot = snapshot_from_member_event(event.data)
    except (KeyError, TypeError) as exc:
        raise PermanentError(f"unusable member update: {type(exc).__name__}") from exc
    services.apply_customer_snapshot(session, snapshot)


def on_mandate_signed(session: Session, event: Envelope) -> None:
    """The company's mandate is active: its next invoices get the SEPA discount and are debited."""
    data = event.data
    customer = _customer(session, data["member_id"])
    if data["version"] <= (customer.mandate_version or 0):
        return  # stale or repeated: a later signature or revocation already applied
    if customer.mandate_reference and customer.mandate_reference != data["mandate_reference"]:
        _cancel_pending_debits(session, customer.member_id)  # planned under the replaced mandate
    customer.mandate_reference, customer.mandate_status = data["mandate_reference"], "active"
    customer.mandate_signed_on = date.fromisoformat(data["signed_on"])
    customer.mandate_version, customer.updated_at = data["version"], utcnow()


def on_mandate_revoked(session: Session, event: Envelope) -> None:
    """No more debits under this mandate: pending ones are cancelled, future invoices lose the discount."""
    data = event.data
    customer = _customer(session, data["member_id"])
    if data["version"] <= (customer.mandate_version or 0):
        return
    customer.mandate_status, customer.mandate_version, customer.updated_at = "revoked", data["version"], utcnow()
    _cancel_pending_debits(session, customer.member_id)


def on_situation_changed(session: Session, event: Envelope) -> None:
    """Keep the company's situation; under collective proceedings billing stops debiting it."""
    data = event.data
    customer = _customer(session, data["member_id"])
    if data["version"] <= (customer.situation_version or 0):
        return
    customer.situation_kind = data["kind"]
    customer.situation_effective_on = date.fromisoformat(data["effective_date"])
    customer.situation_version, customer.updated_at = data["version"], utcnow()
    if data["kind"] in NO_DEBIT_SITUATIONS:
        _cancel_pending_debits(session, customer.member_id)
        log.info("sepa debits stopped: collective proceedings", extra={"member_id": customer.member_id})


HANDLERS = {
    MEMBER_UPDATED: on_member_updated,
    MANDATE_SIGNED: on_mandate_signed,
    MANDATE_REVOKED: on_mandate_revoked,
    SITUATION_CHANGED: on_situation_changed,
}
