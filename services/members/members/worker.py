"""`python -m members.worker`: consumes the events the members service subscribes to."""

from typing import Any

from portal_common.messaging.consumer import Subscription, run_worker
from portal_common.messaging.event_types import EventType

from .documents.handlers import (
    on_appointment_cancelled,
    on_appointment_rescheduled,
    on_credit_note_issued,
    on_document_published,
    on_invoice_issued,
)
from .headcount.handlers import on_employee_exited, on_employee_hired, on_headcount_changes


def subscriptions(_settings: Any) -> list[Subscription]:
    """Which queue feeds which handler (every worker module answers this, with its settings)."""
    return [
        # Every hire reaches this queue: a steady hiring rate is applied by batches (a hire waits up to 200 ms for
        # others to join: the count on the record can be that late) rather than one transaction per hire.
        Subscription(
            "members.headcount",
            {
                EventType.WORKFORCE_EMPLOYEE_HIRED: on_employee_hired,
                EventType.WORKFORCE_EMPLOYEE_EXITED: on_employee_exited,
            },
            batch_size=100,
            batch_wait_ms=200,
            batch_handler=on_headcount_changes,
        ),
        Subscription(
            "members.documents",
            {
                EventType.BILLING_INVOICE_ISSUED: on_invoice_issued,
                EventType.BILLING_CREDIT_NOTE_ISSUED: on_credit_note_issued,
                EventType.SCHEDULING_DOCUMENT_PUBLISHED: on_document_published,
                EventType.SCHEDULING_APPOINTMENT_CANCELLED: on_appointment_cancelled,
                EventType.SCHEDULING_APPOINTMENT_RESCHEDULED: on_appointment_rescheduled,
            },
        ),
    ]


if __name__ == "__main__":
    from .app import create_app

    app = create_app()
    run_worker(app, subscriptions(app.extensions["portal"].settings))
