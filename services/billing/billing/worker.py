"""`python -m billing.worker`: consumes the events billing subscribes to (scaled out in January)."""

from __future__ import annotations

from functools import partial
from typing import Any

from portal_common.messaging.consumer import Subscription, run_worker
from portal_common.messaging.event_types import EventType

from .app import create_app
from .campaign.handlers import on_campaign_closed
from .customers import handlers as customers
from .fees.handlers import on_appointment_missed, on_employee_hired, on_employees_hired
from .invoices.handlers import on_declaration_confirmed, on_declarations_confirmed
from .sepa.rules import NoticeCreditor

# Ops manifests scale billing workers on the depth of the billing.* queues.
MEMBER_DIRECTORY_QUEUE = "billing.member-directory"
# The queue KEDA watches to scale billing workers during the January rush (deploy/k8s/billing-worker.yaml).
DECLARATIONS_QUEUE = "billing.headcount-declarations"
DECLARATIONS_BATCH = 100
CAMPAIGNS_QUEUE = "billing.campaign-closings"
NO_SHOWS_QUEUE = "billing.no-shows"
LATE_HIRES_QUEUE = "billing.late-hires"
# Every hire reaches this queue: a steady hiring rate is applied by batches (a hire waits up to 200 ms for
# others to join; nobody waits on a late-hire fee) rather than one transaction per hire.
LATE_HIRES_BATCH = 100
LATE_HIRES_BATCH_WAIT_MS = 200


def subscriptions(settings: Any) -> list[Subscription]:
    """Which queue feeds which handler, with the settings the handlers need (the SEPA creditor)."""
    creditor = NoticeCreditor.from_settings(settings)
    return [
        # Member updates, SEPA mandates and situation changes ride the member directory's queue.
        Subscription(
            MEMBER_DIRECTORY_QUEUE,
            {
                EventType.MEMBERS_MEMBER_REGISTERED: customers.on_member_registered,
                EventType.MEMBERS_MEMBER_UPDATED: customers.on_member_updated,
                EventType.MEMBERS_SEPA_MANDATE_SIGNED: customers.on_mandate_signed,
                EventType.MEMBERS_SEPA_MANDATE_REVOKED: customers.on_mandate_revoked,
                EventType.MEMBERS_SITUATION_CHANGED: customers.on_situation_changed,
            },
        ),
        # The January rush: declarations are invoiced by batches, one transaction each (consumer.Subscription).
        Subscription(
            DECLARATIONS_QUEUE,
            {EventType.WORKFORCE_DECLARATION_CONFIRMED: partial(on_declaration_confirmed, creditor=creditor)},
            batch_size=DECLARATIONS_BATCH,
            batch_handler=partial(on_declarations_confirmed, creditor=creditor),
        ),
        Subscription(CAMPAIGNS_QUEUE, {EventType.WORKFORCE_CAMPAIGN_CLOSED: on_campaign_closed}),
        Subscription(NO_SHOWS_QUEUE, {EventType.SCHEDULING_APPOINTMENT_MISSED: on_appointment_missed}),
        Subscription(
            LATE_HIRES_QUEUE,
            {EventType.WORKFORCE_EMPLOYEE_HIRED: on_employee_hired},
            batch_size=LATE_HIRES_BATCH,
            batch_wait_ms=LATE_HIRES_BATCH_WAIT_MS,
            batch_handler=on_employees_hired,
        ),
    ]


if __name__ == "__main__":
    app = create_app()
    run_worker(app, subscriptions(app.extensions["portal"].settings))
