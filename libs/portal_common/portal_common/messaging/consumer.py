"""The event consumer: idempotent handling, ack after commit, delayed retries, then dead letter."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pika
from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind
from pika.exceptions import AMQPChannelError, AMQPConnectionError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .. import context, process_metrics, tracing
from ..clock import utcnow
from ..db import Database, insert_rows, is_any_of
from ..heartbeat import Heartbeat
from ..retention import Purger, RetentionPeriods, standard_rules
from . import broker, catalogue
from .envelope import Envelope
from .outbox import Outbox
from .topology import DEAD_LETTER_EXCHANGE, QueueSpec, declare_exchanges, declare_queue

log = logging.getLogger("portal.consumer")

ATTEMPT_HEADER = "x-portal-attempt"
# How often a worker reads its queues' depths from the broker (passive declares) for its metrics.
QUEUE_SAMPLE_SECONDS = 15.0

Handler = Callable[[Session, Envelope], None]


@dataclass(frozen=True)
class Subscription:
    """A queue of one consuming service and the handler of each event type it receives.

    `batch_size` > 1 opts the queue in to batches: the deliveries waiting in the worker (up to that many)
    are handled in ONE transaction (their inbox rows, every handler, one commit), then acknowledged
    together (one multiple ack). Any failure of the batch rolls it all back and its messages are handled
    one by one, so a poison message still follows the retry and dead-letter path alone; with the database
    down, they are all requeued. The queue's prefetch is then twice the batch size (still bounded), so the
    next batch is already in the worker while one commits. Other queues keep one transaction per message.
    """

    queue: str
    handlers: dict[str, Handler]
    batch_size: int = 1
    # With batch_size > 1: how long the first waiting delivery may wait for others to join its batch. For a
    # queue nobody waits on (a fee, a counter), a steady trickle of events then costs one transaction per
    # batch instead of one per event; 0 handles whatever is there at once (latency first).
    batch_wait_ms: int = 0
    # Optional, with batch_size > 1: applies all the new events of a batch at once (set-based queries),
    # in place of calling the handler of each; a single message still goes to its handler.
    batch_handler: Callable[[Session, list[Envelope]], None] | None = None
    # An event older than the inbox window may have had its inbox row purged (portal_common.retention): only a
    # handler idempotent by a natural key (a unique constraint makes a second application a no-op) may then
    # apply it; for the others it is dead-lettered for an operator rather than risk applying it twice.
    replay_safe: bool = False

    def spec(self, retry_delay_ms: int) -> QueueSpec:
        return QueueSpec(self.queue, tuple(sorted(self.handlers)), retry_delay_ms=retry_delay_ms)


class PermanentError(Exception):
    """The message can never be processed (bad schema, unknown type): dead-letter it at once."""


class Consumer:
    def __init__(
        self,
        *,
        service: str,
        db: Database,
        outbox: Outbox,
        broker_url: str,
        exchange: str,
        subscriptions: Iterable[Subscription],
        prefetch: int = 20,
        max_attempts: int = 5,
        retry_delay_ms: int = 5000,
        inbox_window: timedelta | None = None,
        purger: Purger | None = None,
    ):
        self.service = service
        self.inbox_window = inbox_window
        self.purger = purger
        self.db = db
        self.inbox = outbox.inbox
        self.outbox = outbox
        self.broker_url = broker_url
        self.exchange = exchange
        self.subscriptions = {s.queue: s for s in subscriptions}
        self.prefetch = prefetch
        self.max_attempts = max_attempts
        self.retry_delay_ms = retry_delay_ms
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self.heartbeat = Heartbeat.from_environment()
        self.stats = {"processed": 0, "duplicates": 0, "retried": 0, "dead_lettered": 0, "batches": 0}
        self._connection: pika.BlockingConnection | None = None
        self._pending: dict[str, list[tuple[Any, pika.BasicProperties, bytes]]] = {}
        self._pending_since: dict[str, float] = {}
        self.metrics = process_metrics.ConsumerMetrics(service)
        self.queue_sample_seconds = QUEUE_SAMPLE_SECONDS
        self._next_sample = 0.0
        self._sample_channel: Any = None

    def specs(self) -> list[QueueSpec]:
        return [s.spec(self.retry_delay_ms) for s in self.subscriptions.values()]

    def declare(self, channel: Any) -> None:
        declare_exchanges(channel, self.exchange)
        for spec in self.specs():
            declare_queue(channel, self.exchange, spec)

    # --- handling one event ---------------------------------------------------
    def process(self, queue: str, envelope: Envelope) -> bool:
        """Apply the event once; False when it had already been processed (duplicate).

        Called inside the event's span when it came from the broker (`_on_message`)."""
        handler = self.subscriptions[queue].handlers.get(envelope.type)
        if handler is None:
            raise PermanentError(f"no handler for {envelope.type} on {queue}")
        self._refuse_beyond_inbox_window(queue, envelope)
        inbox = self.inbox
        with context.bound(event_id=envelope.id, correlation_id=envelope.correlation_id):
            with self.db.session_factory() as session:
                seen = session.execute(
                    select(inbox.c.event_id).where(inbox.c.consumer == queue, inbox.c.event_id == envelope.id)
                ).first()
                if seen:
                    return False
                # The inbox row commits with the handler's writes: both happen or neither.
                session.execute(
                    inbox.insert().values(
                        consumer=queue, event_id=envelope.id, event_type=envelope.type, processed_at=utcnow()
                    )
                )
                handler(session, envelope)
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    still_seen = session.execute(
                        select(inbox.c.event_id).where(inbox.c.consumer == queue, inbox.c.event_id == envelope.id)
                    ).first()
                    if still_seen:  # a competing worker applied it first
                        return False
                    raise
        return True

    def _refuse_beyond_inbox_window(self, queue: str, envelope: Envelope) -> None:
        if self.inbox_window is None or self.subscriptions[queue].replay_safe:
            return
        if datetime.fromisoformat(envelope.occurred_at.replace("Z", "+00:00")) < utcnow() - self.inbox_window:
            raise PermanentError(
                f"older than the inbox window ({self.inbox_window.days} days): whether it was applied is no longer"
                " known; check, then apply by hand"
            )

    def process_batch(
        self,
        queue: str,
        envelopes: list[Envelope],
        parents: dict[str, otel_context.Context] | None = None,
    ) -> list[bool]:
        """Apply several events of one queue in one transaction; for each, False when it was a duplicate.

        Raises whatever a handler or the commit raised, with nothing written: the caller then handles the
        messages one by one. `parents`: each event's message context (by event id): each event applied gets
        its own span, child of its message's.
        """
        parents = parents or {}
        subscription = self.subscriptions[queue]
        for envelope in envelopes:
            if envelope.type not in subscription.handlers:
                raise PermanentError(f"no handler for {envelope.type} on {queue}")
            self._refuse_beyond_inbox_window(queue, envelope)
        inbox = self.inbox
        with self.db.session_factory() as session:
            seen = set(
                session.scalars(
                    select(inbox.c.event_id).where(
                        inbox.c.consumer == queue, is_any_of(session, inbox.c.event_id, {e.id for e in envelopes})
                    )
                )
            )
            applied = []
            fresh: list[Envelope] = []
            for envelope in envelopes:
                applied.append(envelope.id not in seen)
                if envelope.id not in seen:
                    seen.add(envelope.id)  # the same event twice in one batch is applied once
                    fresh.append(envelope)
            if fresh:
                now = utcnow()
                # The inbox rows commit with the handlers' writes: all of them happen or none.
                insert_rows(
                    session,
                    inbox,
                    [{"consumer": queue, "event_id": e.id, "event_type": e.type, "processed_at": now} for e in fresh],
                )
                if subscription.batch_handler is not None:
                    # One call applies them all: each event's span covers the shared call and commit.
                    spans = [
                        tracing.start_span(
                            f"{e.type} process",
                            kind=SpanKind.CONSUMER,
                            parent=parents.get(e.id),
                            attributes=self._span_attributes(queue, e.type, e.id, batch=len(fresh)),
                        )
                        for e in fresh
                    ]
                    # The shared work (its SQL) is one batch span linked to every event's message context.
                    links = [link for e in fresh for link in tracing.link_to(parents.get(e.id))]
                    try:
                        with tracing.span_in(
                            f"{queue} batch",
                            links=links,
                            attributes={**self._span_attributes(queue, "batch", None, batch=len(fresh))},
                        ):
                            subscription.batch_handler(session, fresh)
                            session.commit()
                    except Exception as exc:
                        for span in spans:
                            tracing.fail(span, f"batch failed: {type(exc).__name__}")
                        raise
                    finally:
                        for span in spans:
                            span.end()
                    return applied
                for envelope in fresh:
                    with (
                        tracing.span_in(
                            f"{envelope.type} process",
                            kind=SpanKind.CONSUMER,
                            parent=parents.get(envelope.id),
                            attributes=self._span_attributes(queue, envelope.type, envelope.id, batch=len(fresh)),
                        ),
                        context.bound(event_id=envelope.id, correlation_id=envelope.correlation_id),
                    ):
                        subscription.handlers[envelope.type](session, envelope)
                session.commit()
        return applied

    def _event_type_label(self, queue: str, event_type: str | None) -> str:
        # A label value per known type only: a stray message's type never creates a series.
        return event_type if event_type in self.subscriptions[queue].handlers else "other"

    def _span_attributes(self, queue: str, event_type: str, event_id: str | None, batch: int = 1) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            tracing.SERVICE_ATTRIBUTE: f"{self.service}-worker",
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "process",
            "messaging.destination.name": queue,
            "messaging.message.id": event_id or "",
            "portal.event_type": event_type,
        }
        if batch > 1:
            attributes["messaging.batch.message_count"] = batch
        return attributes

    def _count_redelivery(self, method: Any, headers: dict[str, Any], queue: str) -> None:
        if getattr(method, "redelivered", False) or int(headers.get(ATTEMPT_HEADER, 1)) > 1:
            self.metrics.redeliveries.labels(self.service, queue).inc()

    def _on_message(
        self,
        channel: Any,
        method: Any,
        properties: pika.BasicProperties,
        body: bytes,
        queue: str,
        counted: bool = False,
    ) -> None:
        """Handle one delivery in a span that is the child of the message's context (`traceparent` header)."""
        headers = dict(properties.headers or {})
        attempt = int(headers.get(ATTEMPT_HEADER, 1))
        event_type = self._event_type_label(queue, properties.type)
        if not counted:  # a batch's messages were counted on arrival
            self._count_redelivery(method, headers, queue)
        started = time.perf_counter()
        with tracing.span_in(
            f"{properties.type or 'message'} process",
            kind=SpanKind.CONSUMER,
            parent=tracing.context_from_headers(headers),
            attributes=self._span_attributes(queue, event_type, properties.message_id),
        ) as span:
            try:
                try:
                    envelope = Envelope.from_json(body)
                    catalogue.validate(envelope)
                except (ValueError, TypeError, KeyError) as exc:
                    raise PermanentError(f"invalid event: {exc}") from exc
                applied = self.process(queue, envelope)
                self.stats["processed" if applied else "duplicates"] += 1
                self.metrics.outcome(
                    queue, event_type, "applied" if applied else "duplicate", time.perf_counter() - started
                )
                if not applied:
                    log.info("duplicate event skipped", extra={"event_type": envelope.type, "queue": queue})
                channel.basic_ack(method.delivery_tag)
            except PermanentError as exc:
                tracing.fail(span, str(exc)[:200])
                self._dead_letter(channel, method, properties, body, queue, str(exc))
            except OperationalError:
                # The database is down: not the message's fault, so no attempt is spent.
                tracing.fail(span, "database unavailable: requeued")
                log.warning("database unavailable, message requeued", extra={"queue": queue})
                self.stop_event.wait(1.0)
                channel.basic_nack(method.delivery_tag, requeue=True)
            except Exception as exc:  # a handler failure: retry later, a bounded number of times
                span.record_exception(exc)
                tracing.fail(span, type(exc).__name__)
                self.metrics.errors.labels(self.service, queue, event_type).inc()
                log.exception("handler failed", extra={"queue": queue, "attempt": attempt})
                if attempt >= self.max_attempts:
                    self._dead_letter(
                        channel, method, properties, body, queue, f"{type(exc).__name__} after {attempt} attempts"
                    )
                else:
                    self._retry(channel, method, properties, body, queue, attempt + 1)

    # --- batches (subscriptions with batch_size > 1) -----------------------------
    def _on_batched_message(
        self, channel: Any, method: Any, properties: pika.BasicProperties, body: bytes, queue: str
    ) -> None:
        self._count_redelivery(method, dict(properties.headers or {}), queue)
        pending = self._pending.setdefault(queue, [])
        if not pending:
            self._pending_since[queue] = time.monotonic()
        pending.append((method, properties, body))
        if len(pending) >= self.subscriptions[queue].batch_size:
            self._flush(channel, queue)

    def _due_in(self, queue: str) -> float:
        """Seconds until the waiting deliveries of `queue` must be handled (0: now)."""
        wait = self.subscriptions[queue].batch_wait_ms / 1000
        return max(0.0, self._pending_since.get(queue, 0.0) + wait - time.monotonic())

    def _flush_due(self, channel: Any) -> None:
        for queue in list(self._pending):
            if self._due_in(queue) == 0.0:
                self._flush(channel, queue)

    def _flush(self, channel: Any, queue: str) -> None:
        """Handle the deliveries waiting for `queue` in one transaction, then acknowledge them."""
        deliveries = self._pending.pop(queue, [])
        self._pending_since.pop(queue, None)
        if not deliveries:
            return
        batch, alone = [], []
        for delivery in deliveries:
            try:
                envelope = Envelope.from_json(delivery[2])
                catalogue.validate(envelope)
                batch.append((delivery, envelope))
            except (ValueError, TypeError, KeyError):
                alone.append(delivery)  # dead-lettered by the one-by-one path, with its reason
        if len(batch) > 1:
            started = time.perf_counter()
            parents = {envelope.id: tracing.context_from_headers(delivery[1].headers) for delivery, envelope in batch}
            try:
                applied = self.process_batch(queue, [envelope for _, envelope in batch], parents)
            except OperationalError as exc:
                if not _transient(exc):  # the database is down: every message waits, no attempt spent
                    log.warning("database unavailable, batch requeued", extra={"queue": queue})
                    self.stop_event.wait(1.0)
                    for (method, _, _), _ in batch:
                        channel.basic_nack(method.delivery_tag, requeue=True)
                    for delivery in alone:
                        channel.basic_nack(delivery[0].delivery_tag, requeue=True)
                    return
                log.warning("batch conflicted, handled one by one", extra={"queue": queue, "size": len(batch)})
            except Exception as exc:  # a handler failed or a competing worker applied one: one by one
                log.warning(
                    "batch failed, handled one by one",
                    extra={"queue": queue, "size": len(batch), "error": type(exc).__name__},
                )
            else:
                self.stats["batches"] += 1
                share = (time.perf_counter() - started) / len(batch)
                self.metrics.batch_size.labels(self.service, queue).observe(sum(applied))
                for flag, (_, envelope) in zip(applied, batch, strict=True):
                    self.stats["processed" if flag else "duplicates"] += 1
                    self.metrics.outcome(
                        queue, self._event_type_label(queue, envelope.type), "applied" if flag else "duplicate", share
                    )
                self._ack_all(channel, [method.delivery_tag for (method, _, _), _ in batch])
                batch = []
        for delivery in alone + [delivery for delivery, _ in batch]:
            self._on_message(channel, *delivery, queue, counted=True)

    def _ack_all(self, channel: Any, tags: list[int]) -> None:
        """One multiple ack when no other delivery of the channel is waiting below the last tag."""
        last = max(tags)
        waiting = [method.delivery_tag for deliveries in self._pending.values() for method, _, _ in deliveries]
        if len(tags) == last - min(tags) + 1 and all(tag > last for tag in waiting):
            channel.basic_ack(last, multiple=True)
        else:
            for tag in sorted(tags):
                channel.basic_ack(tag)

    def _republish(
        self,
        channel: Any,
        exchange: str,
        routing_key: str,
        properties: pika.BasicProperties,
        body: bytes,
        headers: dict[str, Any],
    ) -> None:
        merged = dict(properties.headers or {})
        merged.update(headers)
        copy = pika.BasicProperties(
            message_id=properties.message_id,
            type=properties.type,
            content_type=properties.content_type,
            delivery_mode=pika.DeliveryMode.Persistent,
            correlation_id=properties.correlation_id,
            app_id=properties.app_id,
            headers=merged,
        )
        channel.basic_publish(exchange, routing_key, body, copy, mandatory=True)

    def _retry(self, channel: Any, method: Any, properties: Any, body: bytes, queue: str, attempt: int) -> None:
        spec = self.subscriptions[queue].spec(self.retry_delay_ms)
        # Published with confirms before the ack: the message is never in neither place.
        self._republish(channel, "", spec.retry_queue, properties, body, {ATTEMPT_HEADER: attempt})
        channel.basic_ack(method.delivery_tag)
        self.stats["retried"] += 1
        self.metrics.outcome(queue, self._event_type_label(queue, properties.type), "retried")

    def _dead_letter(self, channel: Any, method: Any, properties: Any, body: bytes, queue: str, reason: str) -> None:
        log.error("event dead-lettered", extra={"queue": queue, "reason": reason[:200]})
        self._republish(
            channel,
            DEAD_LETTER_EXCHANGE,
            queue,
            properties,
            body,
            {
                "x-portal-error": reason[:200],
                "x-portal-dead-lettered-at": utcnow().isoformat(timespec="seconds").replace("+00:00", "Z"),
            },
        )
        channel.basic_ack(method.delivery_tag)
        self.stats["dead_lettered"] += 1
        self.metrics.outcome(queue, self._event_type_label(queue, properties.type), "dead_lettered")
        self._next_sample = 0.0  # the dead-letter depth is read again at once

    # --- queue depths, for the metrics -------------------------------------------
    def _sample_queues(self) -> None:
        """Every `queue_sample_seconds`, the ready, retrying and dead-lettered counts of each queue (passive
        declares on a channel of their own: a queue missing closes that channel, never the consuming one)."""
        now = time.monotonic()
        if now < self._next_sample or self._connection is None:
            return
        self._next_sample = now + self.queue_sample_seconds
        try:
            if self._sample_channel is None or not self._sample_channel.is_open:
                self._sample_channel = self._connection.channel()
            for spec in self.specs():
                for gauge, name in (
                    (self.metrics.ready, spec.name),
                    (self.metrics.retrying, spec.retry_queue),
                    (self.metrics.dead_letters, spec.dead_letter_queue),
                ):
                    declared = self._sample_channel.queue_declare(queue=name, passive=True)
                    gauge.labels(spec.name).set(declared.method.message_count)
        except AMQPChannelError as exc:
            log.warning("queue depth not read", extra={"error": type(exc).__name__})
            self._sample_channel = None

    # --- main loop ----------------------------------------------------------
    def run_forever(self) -> None:
        backoff = broker.Backoff()
        while not self.stop_event.is_set():
            try:
                self._connection = broker.connect(self.broker_url, name=f"{self.service}-worker")
                channel = self._connection.channel()
                channel.confirm_delivery()
                self.declare(channel)
                self._pending, self._pending_since = {}, {}  # a lost channel's deliveries come back to someone
                self._sample_channel, self._next_sample = None, 0.0
                for queue, subscription in self.subscriptions.items():
                    # Each consumer gets the prefetch set just before it (per-consumer QoS).
                    if subscription.batch_size > 1:
                        channel.basic_qos(prefetch_count=max(self.prefetch, 2 * subscription.batch_size))
                        callback = self._on_batched_message
                    else:
                        channel.basic_qos(prefetch_count=self.prefetch)
                        callback = self._on_message
                    channel.basic_consume(queue, lambda ch, m, p, b, q=queue, c=callback: c(ch, m, p, b, q))
                backoff.reset()
                self.ready.set()
                log.info("consumer ready", extra={"queues": list(self.subscriptions)})
                while not self.stop_event.is_set():
                    self.heartbeat.beat(ready=True)
                    # Returns as soon as deliveries arrive, or when a waiting batch is due.
                    due = min((self._due_in(queue) for queue in self._pending), default=0.2)
                    self._connection.process_data_events(time_limit=min(0.2, due))
                    if not self._pending:
                        self._sample_queues()
                    if not self._pending and self.purger is not None:
                        self.purger.maybe_run()  # idle: nothing waits behind it
                    if self._pending:
                        # Whatever else already arrived joins the batches, then the due ones are handled.
                        self._connection.process_data_events(time_limit=0)
                        self._flush_due(channel)
                self._connection.close()
            except (AMQPConnectionError, AMQPChannelError, ConnectionError, OSError) as exc:
                self.ready.clear()
                log.warning("broker unavailable, consumer reconnecting", extra={"error": type(exc).__name__})
                self.heartbeat.beat(ready=False)
                backoff.sleep(self.stop_event)
        self.ready.clear()

    def stop(self) -> None:
        self.stop_event.set()


def _transient(exc: OperationalError) -> bool:
    """A deadlock or serialization failure: the transaction may succeed if tried again."""
    return str(getattr(exc.orig, "sqlstate", None) or "").startswith("40")  # SQLSTATE class 40


def build_consumer(app: Any, subscriptions: Iterable[Subscription]) -> Consumer:
    """A service's consumer from its app's settings: retention and the inbox window included."""
    portal = app.extensions["portal"]
    settings = portal.settings
    periods = RetentionPeriods.from_settings(settings)
    return Consumer(
        service=settings.service,
        db=portal.db,
        outbox=portal.outbox,
        broker_url=settings.broker_url,
        exchange=settings.exchange,
        subscriptions=subscriptions,
        prefetch=settings.consumer_prefetch,
        max_attempts=settings.max_attempts,
        retry_delay_ms=settings.retry_delay_ms,
        inbox_window=periods.inbox,
        purger=Purger(
            portal.db,
            standard_rules(portal.outbox.table.metadata, periods) + list(portal.retention),
            interval=settings.retention_interval_seconds,
        ),
    )


def run_worker(app: Any, subscriptions: Iterable[Subscription]) -> None:
    """Entry point of `python -m <service>.worker`: one connection, handlers from the service."""
    consumer = build_consumer(app, subscriptions)
    process_metrics.serve(consumer.metrics.registry)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop())
    signal.signal(signal.SIGINT, lambda *_: consumer.stop())
    with app.app_context():
        consumer.run_forever()
