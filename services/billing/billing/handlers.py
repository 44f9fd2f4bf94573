"""Events the billing service consumes: the member directory, and confirmed declarations to invoice."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import PermanentError, Subscription
from portal_common.messaging.envelope import Envelope

from . import services
from .annual import Declaration, DeclarationInvalid
from .domain import CustomerSnapshot

MEMBER_REGISTERED = "members.member.registered.v1"
# Ops manifests scale billing workers on the depth of the billing.* queues.
MEMBER_DIRECTORY_QUEUE = "billing.member-directory"
DECLARATION_CONFIRMED = "workforce.declaration.confirmed.v1"
# The queue KEDA watches to scale billing workers during the January rush (deploy/k8s/billing-worker.yaml).
DECLARATIONS_QUEUE = "billing.headcount-declarations"


def snapshot_from_member_event(data: dict) -> CustomerSnapshot:
    address = data["address"]
    return CustomerSnapshot(
        member_id=data["member_id"], member_number=data["member_number"], name=data["name"], siret=data["siret"],
        address_line1=address["line1"], address_line2=address.get("line2"), postal_code=address["postal_code"],
        city=address["city"], billing_email=data.get("billing_email"), status=data["status"],
        version=data["version"],
    )


def on_member_registered(session: Session, event: Envelope) -> None:
    """Remember who billing may invoice; stale or repeated versions change nothing."""
    services.apply_customer_snapshot(session, snapshot_from_member_event(event.data))


def on_declaration_confirmed(session: Session, event: Envelope) -> None:
    """Issue the annual invoice; a repeated delivery, even under another event id, issues nothing."""
    try:
        declaration = Declaration.from_event(event.data)
    except (DeclarationInvalid, KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"unusable declaration: {type(exc).__name__}") from exc
    services.invoice_declaration(session, declaration)


SUBSCRIPTIONS = [
    Subscription(MEMBER_DIRECTORY_QUEUE, {MEMBER_REGISTERED: on_member_registered}),
    Subscription(DECLARATIONS_QUEUE, {DECLARATION_CONFIRMED: on_declaration_confirmed}),
]
