"""Events the billing service consumes: the member directory (billing's read model of customers)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import Subscription
from portal_common.messaging.envelope import Envelope

from . import services
from .domain import CustomerSnapshot

MEMBER_REGISTERED = "members.member.registered.v1"
# Ops manifests scale billing workers on the depth of the billing.* queues.
MEMBER_DIRECTORY_QUEUE = "billing.member-directory"


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


SUBSCRIPTIONS = [Subscription(MEMBER_DIRECTORY_QUEUE, {MEMBER_REGISTERED: on_member_registered})]
