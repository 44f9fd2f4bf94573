"""`python -m identity.worker`: consumes the events the identity service subscribes to; beside it, a thread
purges expired failed-login counters and spent captcha tokens every 10 minutes (consumption never waits)."""

from collections.abc import Callable
from typing import Any

from portal_common.messaging.consumer import Subscription, run_worker
from portal_common.messaging.event_types import EventType

from .app import create_app
from .directory.handlers import QUEUE, on_member_registered
from .maintenance import start_housekeeping
from .notices.handlers import QUEUE as NOTICES
from .notices.handlers import on_campaign_opened


def subscriptions(_settings: Any) -> list[Subscription]:
    """Which queue feeds which handler (every worker module answers this, with its settings)."""
    return [
        Subscription(
            QUEUE,
            {
                EventType.MEMBERS_MEMBER_REGISTERED: on_member_registered,
                EventType.MEMBERS_MEMBER_UPDATED: on_member_registered,
            },
        ),
        Subscription(NOTICES, {EventType.WORKFORCE_CAMPAIGN_OPENED: on_campaign_opened}),
    ]


def companions(app: Any) -> Callable[[], None]:
    """What runs beside the consumer (here or inside the web process, portal_common.embedded); returns its stop."""
    periodic = start_housekeeping(app.extensions["portal"])
    return periodic.stop


def main() -> None:
    app = create_app()
    stop = companions(app)
    try:
        run_worker(app, subscriptions(app.extensions["portal"].settings))
    finally:
        stop()


if __name__ == "__main__":
    main()
