"""`/healthz` (alive), `/readyz` (database, broker, outbox) and Prometheus `/metrics` per service."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .access import INTERNAL
from .clock import utcnow
from .messaging.broker import broker_reachable

BROKER_CHECK_CACHE_SECONDS = 5.0

health = Blueprint("health", __name__)


class OutboxCollector(Collector):
    """Reads the outbox at scrape time, so every web process reports the same truth."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self) -> Iterable[GaugeMetricFamily]:
        portal = self.app.extensions["portal"]
        backlog = GaugeMetricFamily("portal_outbox_backlog", "Events written but not yet published", labels=["service"])
        age = GaugeMetricFamily(
            "portal_outbox_oldest_age_seconds", "Age of the oldest unpublished event", labels=["service"]
        )
        try:
            with portal.db.session_factory() as session:
                count, oldest = portal.outbox.backlog(session)
        except Exception:  # the database being down is reported by /readyz, not by a scrape error
            return []
        backlog.add_metric([portal.settings.service], count)
        age.add_metric([portal.settings.service], (utcnow() - oldest).total_seconds() if oldest else 0.0)
        return [backlog, age]


class Metrics:
    def __init__(self, app: Flask):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "portal_http_requests_total", "HTTP requests", ["service", "endpoint", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "portal_http_request_seconds", "HTTP request duration", ["service", "endpoint"], registry=self.registry
        )
        self.registry.register(OutboxCollector(app))


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
    registry = current_app.extensions["portal_metrics"].registry
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")


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
            metrics_state.latency.labels(service, endpoint).observe(time.perf_counter() - started)
        metrics_state.requests.labels(service, endpoint, str(response.status_code)).inc()
        return response
