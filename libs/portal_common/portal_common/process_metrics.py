"""Prometheus metrics of the processes that serve no pages: the outbox relays and the event workers.

Each relay or worker owns one registry and, when `PORTAL_METRICS_PORT` is set, serves it at `/metrics` on that
port (a small HTTP server thread of prometheus_client). The names are the ones `deploy/prometheus/alerts.yaml` and
`deploy/grafana/january-rush.json` use; `tests/integration/test_process_metrics.py` scrapes them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .clock import utcnow

log = logging.getLogger("portal.metrics")

BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)
CONFIRM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
HANDLER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class OutboxCollector(Collector):
    """Reads the outbox at scrape time: the backlog and the age of the oldest row waiting to be published."""

    def __init__(self, service: str, backlog: Callable[[], tuple[int, datetime | None]]):
        self.service = service
        self.backlog = backlog

    def collect(self) -> Iterable[GaugeMetricFamily]:
        count_family = GaugeMetricFamily(
            "portal_outbox_backlog", "Events written but not yet published", labels=["service"]
        )
        age_family = GaugeMetricFamily(
            "portal_outbox_oldest_age_seconds", "Age of the oldest unpublished event", labels=["service"]
        )
        try:
            count, oldest = self.backlog()
        except Exception:  # the database being down shows as a missing series, not as a scrape error
            return []
        count_family.add_metric([self.service], count)
        age_family.add_metric([self.service], (utcnow() - oldest).total_seconds() if oldest else 0.0)
        return [count_family, age_family]


class RelayMetrics:
    def __init__(self, service: str, backlog: Callable[[], tuple[int, datetime | None]] | None = None):
        self.service = service
        self.registry = CollectorRegistry()
        self.published = Counter(
            "portal_relay_published_total",
            "Events confirmed by the broker and marked published",
            ["service", "event_type"],
            registry=self.registry,
        )
        self.unconfirmed = Counter(
            "portal_relay_unconfirmed_total",
            "Events the broker returned or refused, left in the outbox for a later attempt",
            ["service", "event_type"],
            registry=self.registry,
        )
        self.confirm_seconds = Histogram(
            "portal_relay_confirm_seconds",
            "From the first send of a batch to the broker's last confirm",
            ["service"],
            buckets=CONFIRM_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "portal_relay_batch_size",
            "Rows claimed per batch",
            ["service"],
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        if backlog is not None:
            self.registry.register(OutboxCollector(service, backlog))


class ConsumerMetrics:
    def __init__(self, service: str):
        self.service = service
        self.registry = CollectorRegistry()
        self.events = Counter(
            "portal_consumer_events_total",
            "Events received, by outcome: applied, duplicate, retried, dead_lettered",
            ["service", "queue", "event_type", "outcome"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "portal_consumer_handler_seconds",
            "Time to apply one event (its handler and commit; a batch's share per event)",
            ["service", "queue", "event_type"],
            buckets=HANDLER_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "portal_consumer_errors_total",
            "Handler failures (each retried or dead-lettered)",
            ["service", "queue", "event_type"],
            registry=self.registry,
        )
        self.redeliveries = Counter(
            "portal_consumer_redeliveries_total",
            "Deliveries the broker marked redelivered or that came back from the retry queue",
            ["service", "queue"],
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "portal_consumer_batch_size",
            "Events applied per transaction on a batched queue",
            ["service", "queue"],
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        # Sampled by the worker (passive queue_declare) every few seconds: the broker's view of the backlog.
        self.ready = Gauge(
            "portal_queue_messages_ready", "Messages waiting in the queue", ["queue"], registry=self.registry
        )
        self.retrying = Gauge(
            "portal_queue_retrying", "Messages waiting in the queue's retry queue", ["queue"], registry=self.registry
        )
        self.dead_letters = Gauge(
            "portal_queue_dead_letters", "Messages in the queue's dead-letter queue", ["queue"], registry=self.registry
        )

    def outcome(self, queue: str, event_type: str, outcome: str, seconds: float | None = None) -> None:
        self.events.labels(self.service, queue, event_type, outcome).inc()
        if seconds is not None:
            self.handler_seconds.labels(self.service, queue, event_type).observe(seconds)


def serve(registry: CollectorRegistry, port: int | None = None, addr: str = "0.0.0.0") -> Any | None:
    """Serve `registry` at `/metrics` on `port` (default `PORTAL_METRICS_PORT`; unset: nothing is served).

    Returns the server (its `server_address` tells the port when 0 asked for any free one)."""
    if port is None:
        configured = os.environ.get("PORTAL_METRICS_PORT")
        if not configured:
            return None
        port = int(configured)
    try:
        server, _thread = start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:  # the port taken (two consumers in one process): the work goes on without metrics
        log.warning("metrics not served", extra={"port": port, "error": str(exc)})
        return None
    log.info("metrics served", extra={"port": server.server_address[1]})
    return server
