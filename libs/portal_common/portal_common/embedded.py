"""The local stack's lean process model: a web process that also runs its service's relay and event consumer.

In Kubernetes (and Compose) relays and workers are their own Deployments, probed and scaled apart. On one machine
(`make run`) that costs a Python process per relay and per worker, each importing the whole service: five relays
and four workers are most of an idle demo's memory. With `PORTAL_WEB_BACKGROUND=relay,worker` gunicorn's worker
runs them as threads beside the web threads, with whatever the worker module runs beside its consumer (its
`companions(app)`: workforce's imports and campaign closing, identity's housekeeping) (`portal_common.gunicorn_conf`); each keeps its own broker
connection and database pool, as in its own process. Billing's consumers stay separate processes, so they still
scale on their own (`PORTAL_BILLING_WORKERS`).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from .messaging.consumer import build_consumer
from .messaging.relay import build_relay

log = logging.getLogger("portal.embedded")

RELAY, WORKER = "relay", "worker"


def parse(value: str | None) -> frozenset[str]:
    parts = frozenset(part.strip() for part in (value or "").split(",") if part.strip())
    unknown = parts - {RELAY, WORKER}
    if unknown:
        raise ValueError(f"PORTAL_WEB_BACKGROUND: unknown part(s) {sorted(unknown)}; expected relay, worker")
    return parts


def start_background(app: Any, parts: frozenset[str]) -> Callable[[], None]:
    """Start the asked parts in daemon threads; returns what stops them (waiting for each loop to end)."""
    settings = app.extensions["portal"].settings
    service = settings.service
    loops: list[tuple[threading.Thread, Callable[[], None]]] = []
    if RELAY in parts:
        relay = build_relay(service, settings)
        loops.append((threading.Thread(target=relay.run_forever, name=f"{service}-relay", daemon=True), relay.stop))
    stop_companions: Callable[[], None] | None = None
    if WORKER in parts:
        worker = importlib.import_module(f"{service}.worker")
        consumer = build_consumer(app, worker.subscriptions(settings))
        # What the worker process runs beside its consumer (imports, periodic checks, purges) comes along.
        if hasattr(worker, "companions"):
            stop_companions = worker.companions(app)

        def consume() -> None:
            with app.app_context():
                consumer.run_forever()

        loops.append((threading.Thread(target=consume, name=f"{service}-worker", daemon=True), consumer.stop))
    for thread, _ in loops:
        thread.start()
    log.info("background started in the web process", extra={"parts": sorted(parts)})

    def stop() -> None:
        if stop_companions is not None:
            stop_companions()
        for _, stop_loop in loops:
            stop_loop()
        for thread, _ in loops:
            thread.join(timeout=10)

    return stop
