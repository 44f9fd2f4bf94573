"""`/healthz` (alive), `/readyz` (database, broker, outbox) and Prometheus `/metrics` per service.

Under gunicorn (`portal_common.gunicorn_conf` sets `PROMETHEUS_MULTIPROC_DIR`) every worker process writes its
request counters and durations to files there, and `/metrics` adds up all the workers' files: a scrape sees the
whole service, whichever worker answers it. Without that variable (tests, `flask run`), one process counts alone.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from .access import INTERNAL
from .clock import utcnow
from .messaging.broker import broker_reachable
from .process_metrics import OutboxCollector

BROKER_CHECK_CACHE_SECONDS = 5.0

health = Blueprint("health", __name__)


class Metrics:
    def __init__(self, app: Flask):
        # The counting registry: in multiprocess mode its metrics only write this process's files.
        self.registry = CollectorRegistry()
        # Per route (the Flask endpoint, never the raw path: one series per route, not per employee id).
        self.requests = Counter(
            "portal_http_requests_total",
            "HTTP requests",
            ["service", "endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "portal_http_request_seconds",
            "HTTP request duration",
            ["service", "endpoint", "method"],
            registry=self.registry,
        )
        portal = app.extensions["portal"]

        def backlog() -> tuple[int, Any]:
            with portal.db.session_factory() as session:
                return portal.outbox.backlog(session)  # type: ignore[no-any-return]

        self.outbox = OutboxCollector(portal.settings.service, backlog)

    def exposition(self) -> bytes:
        """Every worker's counters added up when multiprocess, plus the outbox read now."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            scrape = CollectorRegistry()
            multiprocess.MultiProcessCollector(scrape)  # type: ignore[no-untyped-call]
        else:
            scrape = self.registry
        return generate_latest(scrape) + generate_latest(_Single(self.outbox))


class _Single(CollectorRegistry):
    """A registry of one collector, built per scrape (registering twice in the same registry is refused)."""

    def __init__(self, collector: Any):
        super().__init__(auto_describe=False)
        self.register(collector)


def _broker_status(app: Flask) -> tuple[bool, str]:
    cache = app.extensions.setdefault("portal_broker_check", {"at": 0.0, "value": (False, "unchecked")})
    if time.monotonic() - cache["at"] > BROKER_CHECK_CACHE_SECONDS:
        cache["value"] = broker_reachable(app.extensions["portal"].settings.broker_url)
        cache["at"] = time.monotonic()
    status: tuple[bool, str] = cache["value"]
    return status


@health.get("/healthz")
@INTERNAL
def healthz() -> Any:
    return jsonify(status="ok", service=current_app.extensions["portal"].settings.service)


@health.get("/readyz")
@INTERNAL
def readyz() -> Any:
    portal = current_app.extensions["portal"]
    checks: dict[str, Any] = {}
    ready = True
    try:
        portal.db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
        ready = False
    ok, why = _broker_status(current_app._get_current_object())  # type: ignore[attr-defined]
    # The portal keeps serving and writing without the broker (events wait in the outbox),
    # so the broker is reported but does not by itself make the service unready.
    checks["broker"] = "ok" if ok else f"unreachable: {why} — events wait in the outbox"
    try:
        with portal.db.session_factory() as session:
            count, oldest = portal.outbox.backlog(session)
        checks["outbox"] = {
            "backlog": count,
            "oldest_age_seconds": round((utcnow() - oldest).total_seconds(), 1) if oldest else 0,
        }
    except Exception:
        checks["outbox"] = "unknown"
    status = "ready" if ready and ok else ("degraded" if ready else "unready")
    return jsonify(status=status, service=portal.settings.service, checks=checks), (200 if ready else 503)


@health.get("/metrics")
@INTERNAL
def metrics() -> Response:
    return Response(current_app.extensions["portal_metrics"].exposition(), mimetype="text/plain; version=0.0.4")


def init_health(app: Flask) -> None:
    metrics_state = Metrics(app)
    app.extensions["portal_metrics"] = metrics_state
    app.register_blueprint(health)
    service = app.extensions["portal"].settings.service

    @app.before_request
    def _start_timer() -> None:
        request.environ["portal.started"] = time.perf_counter()

    @app.after_request
    def _observe(response):  # type: ignore[no-untyped-def]
        endpoint = request.endpoint or "unmatched"
        started = request.environ.get("portal.started")
        if started is not None:
            metrics_state.latency.labels(service, endpoint, request.method).observe(time.perf_counter() - started)
        metrics_state.requests.labels(service, endpoint, request.method, str(response.status_code)).inc()
        return response
