"""The outbox relay: publishes committed events with confirms, marks them only once confirmed.

Run one per service (more are safe on PostgreSQL thanks to SKIP LOCKED)::

    python -m portal_common.messaging.relay --service members
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pika
import psycopg
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pika.exceptions import AMQPChannelError, AMQPConnectionError
from sqlalchemy import MetaData, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError

from .. import context, process_metrics, tracing
from ..clock import utcnow
from ..config import BaseSettings
from ..db import Database, is_any_of
from ..heartbeat import Heartbeat
from ..logging import configure_logging
from ..mail import MailSender, mail_outbox_table
from . import broker, catalogue
from .outbox import NOTIFY_CHANNEL, outbox_backlog, outbox_table
from .topology import QueueSpec, declare_exchanges, declare_queue

log = logging.getLogger("portal.relay")

POLL_SECONDS = 0.1
# With PostgreSQL, every commit that adds an event or a mail wakes the relay (NOTIFY): the poll then only
# catches retries coming due, so it can be slow and leave the CPU to the services.
LISTEN_POLL_SECONDS = 1.0
BATCH_SIZE = 500
RETRY_UNROUTABLE = timedelta(seconds=2)
CONFIRM_TIMEOUT_SECONDS = 30.0


class Relay:
    def __init__(
        self,
        db: Database,
        broker_url: str,
        exchange: str,
        *,
        service: str,
        batch_size: int = BATCH_SIZE,
        poll_seconds: float = POLL_SECONDS,
        retry_delay_ms: int = 5000,
    ):
        self.db = db
        self.table = outbox_table(MetaData())
        self.broker_url = broker_url
        self.exchange = exchange
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retry_delay_ms = retry_delay_ms
        self.stop_event = threading.Event()
        self.heartbeat = Heartbeat.from_environment()
        self.published_count = 0
        self.metrics = process_metrics.RelayMetrics(service, backlog=self._backlog)
        self._spans: dict[str, Any] = {}
        self.mail_sender: MailSender | None = None
        self._connection: pika.BlockingConnection | None = None
        self._channel: Any = None
        self._listener: psycopg.Connection | None = None

    def _backlog(self) -> tuple[int, Any]:
        with self.db.session_factory() as session:
            return outbox_backlog(session, self.table)

    # --- broker -------------------------------------------------------------
    def _open_channel(self) -> None:
        self._connection = broker.connect(self.broker_url, name=f"{self.service}-relay")
        channel = self._connection.channel()
        declare_exchanges(channel, self.exchange)
        # Every consumer queue exists before the first publish, even if its worker has never run.
        for queue, event_types in catalogue.topology().items():
            declare_queue(channel, self.exchange, QueueSpec(queue, event_types, retry_delay_ms=self.retry_delay_ms))
        self._channel = channel
        self._enable_confirms()
        log.info("relay connected to broker")

    # --- publisher confirms, many in flight -------------------------------------
    # pika's BlockingChannel waits for the broker's confirm of each message before sending the next: one
    # round trip (and one quorum-queue commit) per event. The relay sends a whole batch on the underlying
    # channel, then waits once for all of its confirms; a row is still marked only once confirmed.
    # BlockingChannel has no public call for that: `_impl` is its underlying pika Channel (pika is pinned;
    # tests/integration/test_relay.py covers confirms, returns and two relays at once).
    def _enable_confirms(self) -> None:
        self._unconfirmed: dict[int, str] = {}
        self._outcomes: dict[str, str | None] = {}
        self._returned: set[str] = set()
        self._last_tag = 0
        selected: list[bool] = []
        self._channel._impl.confirm_delivery(
            ack_nack_callback=self._on_confirm, callback=lambda _frame: self._wake(selected)
        )
        self._channel._impl.add_on_return_callback(self._on_return)
        self._wait(lambda: bool(selected))

    def _wake(self, flags: list[bool] | None = None) -> None:
        """Called from pika's I/O: makes the pending process_data_events return."""
        if flags is not None:
            flags.append(True)
        assert self._connection is not None  # _wake is called only while connected
        self._connection.add_callback_threadsafe(lambda: None)

    def _wait(self, done: Any, timeout: float = CONFIRM_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AMQPConnectionError("the broker did not confirm in time")
            assert self._connection is not None
            self._connection.process_data_events(time_limit=min(left, 1.0))

    def _on_return(self, _channel: Any, _method: Any, properties: Any, _body: bytes) -> None:
        # A mandatory message no queue took: the broker returns it, then confirms it.
        self._returned.add(properties.message_id)

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        if method.multiple:
            tags = [tag for tag in self._unconfirmed if tag <= method.delivery_tag]
        else:
            tags = [method.delivery_tag]
        nacked = isinstance(method, pika.spec.Basic.Nack)
        for tag in tags:
            row_id = self._unconfirmed.pop(tag, None)
            if row_id is None:
                continue
            if nacked:
                self._outcomes[row_id] = "nacked by broker"
            elif row_id in self._returned:
                self._outcomes[row_id] = "unroutable: no queue bound for this event type"
            else:
                self._outcomes[row_id] = None
            self._returned.discard(row_id)
        if not self._unconfirmed:
            self._wake()

    def _close_broker(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # already broken; nothing more to release
                pass

    # --- database wake-ups ----------------------------------------------------
    def _open_listener(self) -> None:
        if not self.db.is_postgres or self._listener is not None:
            return
        dsn = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._listener = psycopg.connect(dsn, autocommit=True)
        self._listener.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def _wait_for_work(self) -> None:
        """Wait at most one poll interval, waking early on NOTIFY; keeps AMQP heartbeats flowing."""
        if self._connection is not None:
            self._connection.process_data_events(time_limit=0)
        if self._listener is not None:
            try:
                for _ in self._listener.notifies(timeout=max(self.poll_seconds, LISTEN_POLL_SECONDS), stop_after=1):
                    pass
                return
            except psycopg.Error:
                self._listener = None
        self.stop_event.wait(self.poll_seconds)

    # --- publishing -----------------------------------------------------------
    def publish_batch(self) -> int:
        """Publish one batch of due rows; returns how many were confirmed."""
        t = self.table
        confirmed = 0
        with self.db.session_factory() as session:
            rows = session.execute(
                select(t.c.id, t.c.event_type, t.c.body, t.c.attempts, t.c.trace_context)
                .where(t.c.published_at.is_(None), t.c.next_attempt_at <= utcnow())
                # Along the pending index alone (a fresh row is due when created; equal keys come in insertion
                # order): the scan stops at the batch size however many rows wait. Sorting them by creation
                # read every waiting row, thousands for an import whose rows share one timestamp.
                .order_by(t.c.next_attempt_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            self._outcomes = {}
            self._spans = {}
            started = time.perf_counter()
            try:
                if rows:
                    self.metrics.batch_size.labels(self.service).observe(len(rows))
                    self._publish_all(rows)
                    self.metrics.confirm_seconds.labels(self.service).observe(time.perf_counter() - started)
            finally:
                # Rows confirmed before a connection loss stay marked: fewer duplicates. Unconfirmed ones
                # stay unpublished and are sent again (consumers skip what they already applied).
                outcomes, self._outcomes = self._outcomes, {}
                now = utcnow()
                published = [row.id for row in rows if row.id in outcomes and outcomes[row.id] is None]
                self._end_spans(rows, outcomes)
                if published:
                    session.execute(
                        update(t).where(is_any_of(session, t.c.id, published)).values(published_at=now, last_error=None)
                    )
                    confirmed = len(published)
                for row in rows:
                    error = outcomes.get(row.id)
                    if error is None:
                        continue
                    self.metrics.unconfirmed.labels(self.service, row.event_type).inc()
                    with context.bound(event_id=row.id):
                        log.warning(
                            "event not confirmed; will retry", extra={"event_type": row.event_type, "reason": error}
                        )
                    delay = min(RETRY_UNROUTABLE * (2 ** min(row.attempts, 5)), timedelta(minutes=1))
                    session.execute(
                        update(t)
                        .where(t.c.id == row.id)
                        .values(attempts=row.attempts + 1, next_attempt_at=now + delay, last_error=error[:500])
                    )
                session.commit()
                # Counted once marked: a scrape never sees an event both counted and still in the backlog.
                for row in rows:
                    if row.id in outcomes and outcomes[row.id] is None:
                        self.metrics.published.labels(self.service, row.event_type).inc()
        self.published_count += confirmed
        return confirmed

    def _end_spans(self, rows: Sequence[Any], outcomes: dict[str, str | None]) -> None:
        spans, self._spans = self._spans, {}
        for row in rows:
            span = spans.get(row.id)
            if span is not None and not (row.id in outcomes and outcomes[row.id] is None):
                tracing.fail(span, outcomes.get(row.id) or "not confirmed: connection lost")
            if span is not None:
                span.end()

    def _publish_all(self, rows: Sequence[Any]) -> None:
        """Send every row, then wait until the broker confirmed (or returned, or refused) each one."""
        subscribed = catalogue.subscribed_types()
        self._unconfirmed = {}
        self._returned = set()
        for row in rows:
            correlation_id = json.loads(row.body).get("correlation_id")
            # One span per publish, child of the context stored with the row (the request or event that recorded
            # it), open until the broker's confirm; the message carries this span's context to the consumers.
            span = tracing.start_span(
                f"{row.event_type} publish",
                kind=SpanKind.PRODUCER,
                parent=tracing.context_from_stored(row.trace_context),
                attributes={
                    tracing.SERVICE_ATTRIBUTE: f"{self.service}-relay",
                    "messaging.system": "rabbitmq",
                    "messaging.operation.type": "publish",
                    "messaging.destination.name": self.exchange,
                    "messaging.rabbitmq.destination.routing_key": row.event_type,
                    "messaging.message.id": row.id,
                },
            )
            self._spans[row.id] = span
            headers = tracing.inject_headers({"x-portal-producer": self.service}, trace.set_span_in_context(span))
            properties = pika.BasicProperties(
                message_id=row.id,
                type=row.event_type,
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                correlation_id=correlation_id,
                app_id=self.service,
                headers=headers,
            )
            # An event type nobody subscribes to yet is published without `mandatory`: it has no queue
            # to reach, and the outbox keeps it as history. Subscribed types must reach their queues.
            self._channel._impl.basic_publish(
                self.exchange, row.event_type, row.body.encode(), properties, mandatory=row.event_type in subscribed
            )
            self._last_tag += 1
            self._unconfirmed[self._last_tag] = row.id
        self._wait(lambda: not self._unconfirmed)

    # --- main loop ----------------------------------------------------------
    def run_forever(self) -> None:
        backoff = broker.Backoff()
        while not self.stop_event.is_set():
            try:
                if self._channel is None:
                    self._open_channel()
                    backoff.reset()
                self._open_listener()
                while not self.stop_event.is_set():
                    self.heartbeat.beat(ready=True)
                    published = self.publish_batch()
                    if self.mail_sender is not None:
                        self.mail_sender.send_batch()
                    if published < self.batch_size:
                        self._wait_for_work()
            except (AMQPConnectionError, AMQPChannelError, ConnectionError, OSError) as exc:
                log.warning("broker unavailable, events wait in the outbox", extra={"error": type(exc).__name__})
                self._close_broker()
                self.heartbeat.beat(ready=False)
                backoff.sleep(self.stop_event)
            except (SQLAlchemyError, psycopg.Error) as exc:
                log.warning("database unavailable", extra={"error": type(exc).__name__})
                self._listener = None
                self.heartbeat.beat(ready=False)
                backoff.sleep(self.stop_event)
        self._close_broker()
        if self._listener is not None:
            self._listener.close()

    def stop(self) -> None:
        self.stop_event.set()


def settings_for(service: str) -> type[BaseSettings]:
    return type(f"{service.title()}RelaySettings", (BaseSettings,), {"service": service})


def build_relay(service: str, settings: Any) -> Relay:
    """The relay of a service from its settings, with its mail sender when the service sends e-mails."""
    # The relay's queries must follow the pending index in order whatever the statistics say: a table that grew
    # by thousands of rows since its last ANALYZE (an import, the January rush; autovacuum late or off) is
    # otherwise read whole by a bitmap scan and sorted on disk for every batch of 100.
    db = Database(settings.database_url, pool_size=2, pg_options="-c enable_bitmapscan=off")
    relay = Relay(db, settings.broker_url, settings.exchange, service=service, retry_delay_ms=settings.retry_delay_ms)
    if inspect(db.engine).has_table("mail_outbox"):  # this service sends e-mails: deliver them too
        relay.mail_sender = MailSender(
            db,
            mail_outbox_table(MetaData()),
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_sender,
        )
    return relay


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Publish a service's outbox to RabbitMQ")
    parser.add_argument("--service", required=True)
    args = parser.parse_args(argv)
    settings = settings_for(args.service).load_or_exit()
    configure_logging(f"{args.service}-relay", settings.log_level)
    tracing.init_tracing(f"{args.service}-relay")
    relay = build_relay(args.service, settings)
    process_metrics.serve(relay.metrics.registry)
    signal.signal(signal.SIGTERM, lambda *_: relay.stop())
    signal.signal(signal.SIGINT, lambda *_: relay.stop())
    log.info("relay started")
    relay.run_forever()


if __name__ == "__main__":
    main()
