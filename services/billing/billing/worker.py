"""`python -m billing.worker`: consumes the events billing subscribes to (scaled out in January)."""
from portal_common.messaging.consumer import run_worker

from .app import create_app
from .handlers import SUBSCRIPTIONS

if __name__ == "__main__":
    run_worker(create_app(), SUBSCRIPTIONS)
