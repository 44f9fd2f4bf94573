"""`python -m workforce.worker`: consumes the events the workforce service subscribes to."""
from portal_common.messaging.consumer import run_worker

from .app import create_app
from .handlers import SUBSCRIPTIONS

if __name__ == "__main__":
    run_worker(create_app(), SUBSCRIPTIONS)
