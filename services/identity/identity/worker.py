"""`python -m identity.worker`: consumes the events the identity service subscribes to; beside it, a thread
purges expired failed-login counters and spent captcha tokens every 10 minutes (consumption never waits)."""
from portal_common.messaging.consumer import run_worker

from .app import create_app
from .directory.handlers import SUBSCRIPTIONS
from .maintenance import start_housekeeping


def main() -> None:
    app = create_app()
    periodic = start_housekeeping(app.extensions["portal"])
    try:
        run_worker(app, SUBSCRIPTIONS)
    finally:
        periodic.stop()


if __name__ == "__main__":
    main()
