"""`python -m identity.worker`: consumes the events the identity service subscribes to; beside it, a thread
purges expired failed-login counters and spent captcha tokens every 10 minutes (consumption never waits)."""

from typing import Any

from portal_common.messaging.consumer import Subscription, run_worker
from portal_common.messaging.event_types import EventType

from .app import create_app
from .directory.handlers import QUEUE, on_member_registered
from .maintenance import start_housekeeping


def subscriptions(_settings: Any) -> list[Subscription]:
    """Which queue feeds which handler (every worker module answers this, with its settings)."""
    return [
        Subscription(
            QUEUE,
            {
                EventType.MEMBERS_MEMBER_REGISTERED: on_member_registered,
                EventType.MEMBERS_MEMBER_UPDATED: on_member_registered,
            },
        )
    ]


def main() -> None:
    app = create_app()
    periodic = start_housekeeping(app.extensions["portal"])
    try:
        run_worker(app, subscriptions(app.extensions["portal"].settings))
    finally:
        periodic.stop()


if __name__ == "__main__":
    main()
