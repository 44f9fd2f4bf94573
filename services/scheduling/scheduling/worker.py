"""`python -m scheduling.worker`: consumes the events the scheduling service subscribes to."""

from typing import Any

from portal_common.messaging.consumer import Subscription, run_worker

from .app import create_app
from .directory.handlers import DIRECTORY_BATCH, HANDLERS, on_directory_batch

# One queue: an employee's hire, updates and exit are then applied in the order workforce made them.
DIRECTORY_QUEUE = "scheduling.directory"


def subscriptions(_settings: Any) -> list[Subscription]:
    """Which queue feeds which handler (every worker module answers this, with its settings)."""
    return [Subscription(DIRECTORY_QUEUE, HANDLERS, batch_size=DIRECTORY_BATCH, batch_handler=on_directory_batch)]


if __name__ == "__main__":
    app = create_app()
    run_worker(app, subscriptions(app.extensions["portal"].settings))
