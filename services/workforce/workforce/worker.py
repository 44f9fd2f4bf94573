"""`python -m workforce.worker`: consumes the events the workforce service subscribes to, and runs the
employee imports too big to be done in a request (imports.use_cases.process_pending)."""

import logging
import threading
import time
from typing import Any

from portal_common.messaging.consumer import Subscription, run_worker
from portal_common.messaging.event_types import EventType

from .app import create_app
from .declarations.handlers import on_invoice_issued
from .directory.handlers import on_member_registered, on_situation_changed

IMPORT_POLL_SECONDS = 1.0
EXPIRY_EVERY_SECONDS = 3600.0
CAMPAIGN_CHECK_SECONDS = 600.0  # a campaign closes within ten minutes after its deadline day
log = logging.getLogger(__name__)

DIRECTORY_QUEUE = "workforce.member-directory"
INVOICES_QUEUE = "workforce.declaration-invoices"


def subscriptions(_settings: Any) -> list[Subscription]:
    """Which queue feeds which handler (every worker module answers this, with its settings)."""
    return [
        Subscription(
            DIRECTORY_QUEUE,
            {
                EventType.MEMBERS_MEMBER_REGISTERED: on_member_registered,
                EventType.MEMBERS_MEMBER_UPDATED: on_member_registered,
                EventType.MEMBERS_SITUATION_CHANGED: on_situation_changed,
            },
        ),
        Subscription(INVOICES_QUEUE, {EventType.BILLING_INVOICE_ISSUED: on_invoice_issued}),
    ]


def run_campaign_closing(app, stop: threading.Event) -> None:
    """The periodic check: closes the declaration campaigns whose deadline has passed (close_due_campaigns)."""
    from .declarations.use_cases import close_due_campaigns

    portal = app.extensions["portal"]
    with app.app_context():
        while not stop.is_set():
            try:
                closed = close_due_campaigns(portal)
                if closed:
                    log.info("declaration campaigns closed at their deadline", extra={"years": closed})
            except Exception as exc:  # the database away for a moment: try again at the next check
                log.warning("campaign closing check failed, retrying", extra={"error": type(exc).__name__})
            stop.wait(CAMPAIGN_CHECK_SECONDS)


def run_imports(app, stop: threading.Event) -> None:
    """Polls for queued imports; a job cut short by a stop is claimed again later (nothing half-written)."""
    from .imports.use_cases import expire_abandoned, process_pending

    portal = app.extensions["portal"]
    next_expiry = 0.0
    with app.app_context():
        while not stop.is_set():
            try:
                if time.monotonic() >= next_expiry:
                    expire_abandoned(portal)
                    next_expiry = time.monotonic() + EXPIRY_EVERY_SECONDS
                busy = process_pending(portal)
            except Exception as exc:  # the database away for a moment: try again later
                log.warning("import processing failed, retrying", extra={"error": type(exc).__name__})
                busy = False
            if not busy:
                stop.wait(IMPORT_POLL_SECONDS)


def companions(app):
    """What runs beside the consumer (here or inside the web process, portal_common.embedded); returns its stop."""
    stop = threading.Event()
    # Daemon threads: SIGTERM stops the consumer, and the process exit ends a job's open transaction.
    threading.Thread(target=run_imports, args=(app, stop), name="employee-imports", daemon=True).start()
    threading.Thread(target=run_campaign_closing, args=(app, stop), name="campaign-closing", daemon=True).start()
    return stop.set


def main() -> None:
    app = create_app()
    stop = companions(app)
    try:
        run_worker(app, subscriptions(app.extensions["portal"].settings))
    finally:
        stop()


if __name__ == "__main__":
    main()
