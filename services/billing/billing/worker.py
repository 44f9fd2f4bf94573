"""`python -m billing.worker`: consumes the events billing subscribes to (scaled out in January); beside it, a
thread settles the SEPA debits whose collection date has come, every 10 minutes (sepa settle_due_debits)."""

from __future__ import annotations

from functools import partial
from typing import Any

from portal_common.messaging.consumer import Subscription, run_worker
from portal_common.messaging.event_types import EventType
from portal_common.periodic import Periodic

from .app import create_app
from .campaign.handlers import on_campaign_closed
from .customers import handlers as customers
from .fees.handlers import on_appointment_missed, on_employee_hired, on_employees_hired, on_outcome_corrected
from .invoices.handlers import on_declaration_confirmed, on_declarations_confirmed
from .sepa.rules import NoticeCreditor
from .sepa.use_cases.debits import settle_due_debits

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
# A debit sent to the bank becomes the invoice's payment within ten minutes of its collection date's start;
# every replica runs it, sharing the debits (SKIP LOCKED).
SETTLE_EVERY_SECONDS = 600.0


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
            # One invoice per declaration is a unique key (invoice.source_key): safe past the inbox window.
            replay_safe=True,
        ),
        Subscription(CAMPAIGNS_QUEUE, {EventType.WORKFORCE_CAMPAIGN_CLOSED: on_campaign_closed}),
        # An appointment's missed and corrected outcomes share a queue; billing applies them in version order
        # whatever order they arrive in (fees.use_cases.follow_outcome).
        Subscription(
            NO_SHOWS_QUEUE,
            {
                EventType.SCHEDULING_APPOINTMENT_MISSED: partial(on_appointment_missed, creditor=creditor),
                EventType.SCHEDULING_APPOINTMENT_OUTCOME_CORRECTED: partial(on_outcome_corrected, creditor=creditor),
            },
        ),
        Subscription(
            LATE_HIRES_QUEUE,
            {EventType.WORKFORCE_EMPLOYEE_HIRED: on_employee_hired},
            batch_size=LATE_HIRES_BATCH,
            batch_wait_ms=LATE_HIRES_BATCH_WAIT_MS,
            batch_handler=on_employees_hired,
        ),
    ]


def start_settlement(app: Any, every: float = SETTLE_EVERY_SECONDS) -> Periodic:
    """The periodic settlement of SEPA debits whose collection date has come."""
    portal = app.extensions["portal"]

    def settle() -> None:
        with app.app_context():
            settle_due_debits(portal)

    return Periodic(settle, every=every, name="sepa-settlement").start()


def main() -> None:
    app = create_app()
    settlement = start_settlement(app)
    try:
        run_worker(app, subscriptions(app.extensions["portal"].settings))
    finally:
        settlement.stop()


if __name__ == "__main__":
    main()
