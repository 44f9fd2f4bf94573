"""The event consumer: idempotent handling, ack after commit, delayed retries, then dead letter."""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import pika
from pika.exceptions import AMQPChannelError, AMQPConnectionError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .. import context
from ..clock import utcnow
from ..db import Database
from . import broker, catalogue
from .envelope import Envelope
from .outbox import Outbox
from .topology import DEAD_LETTER_EXCHANGE, QueueSpec, declare_exchanges, declare_queue

log = logging.getLogger("portal.consumer")

ATTEMPT_HEADER = "x-portal-attempt"

Handler = Callable[[Session, Envelope], None]


@dataclass(frozen=True)
class Subscription:
    """A queue of one consuming service and the handler of each event type it receives."""

    queue: str
    handlers: dict[str, Handler]

    def spec(self, retry_delay_ms: int) -> QueueSpec:
        return QueueSpec(self.queue, tuple(sorted(self.handlers)), retry_delay_ms=retry_delay_ms)


class PermanentError(Exception):
    """The message can never be processed (bad schema, unknown type): dead-letter it at once."""


class Consumer:
    def __init__(self, *, service: str, db: Database, outbox: Outbox, broker_url: str, exchange: str,
                 subscriptions: Iterable[Subscription], prefetch: int = 20, max_attempts: int = 5,
                 retry_delay_ms: int = 5000):
        self.service = service
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
        self.stats = {"processed": 0, "duplicates": 0, "retried": 0, "dead_lettered": 0}
        self._connection: pika.BlockingConnection | None = None

    def specs(self) -> list[QueueSpec]:
        return [s.spec(self.retry_delay_ms) for s in self.subscriptions.values()]

    def declare(self, channel: Any) -> None:
        declare_exchanges(channel, self.exchange)
        for spec in self.specs():
            declare_queue(channel, self.exchange, spec)

    # --- handling one event ---------------------------------------------------
    def process(self, queue: str, envelope: Envelope) -> bool:
        """Apply the event once; False when it had already been processed (duplicate)."""
        handler = self.subscriptions[queue].handlers.get(envelope.type)
        if handler is None:
            raise PermanentError(f"no handler for {envelope.type} on {queue}")
        inbox = self.inbox
        with context.bound(event_id=envelope.id, correlation_id=envelope.correlation_id):
            with self.db.session_factory() as session:
                seen = session.execute(select(inbox.c.event_id).where(
                    inbox.c.consumer == queue, inbox.c.event_id == envelope.id)).first()
                if seen:
                    return False
                # The inbox row commits with the handler's writes: both happen or neither.
                session.execute(inbox.insert().values(consumer=queue, event_id=envelope.id,
                                                      event_type=envelope.type, processed_at=utcnow()))
                handler(session, envelope)
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    still_seen = session.execute(select(inbox.c.event_id).where(
                        inbox.c.consumer == queue, inbox.c.event_id == envelope.id)).first()
                    if still_seen:  # a competing worker applied it first
                        return False
                    raise
        return True

    def _on_message(self, channel: Any, method: Any, properties: pika.BasicProperties, body: bytes, queue: str) -> None:
        headers = dict(properties.headers or {})
        attempt = int(headers.get(ATTEMPT_HEADER, 1))
        try:
            try:
                envelope = Envelope.from_json(body)
                catalogue.validate(envelope)
            except (ValueError, TypeError, KeyError) as exc:
                raise PermanentError(f"invalid event: {exc}") from exc
            applied = self.process(queue, envelope)
            self.stats["processed" if applied else "duplicates"] += 1
            if not applied:
                log.info("duplicate event skipped", extra={"event_type": envelope.type, "queue": queue})
            channel.basic_ack(method.delivery_tag)
        except PermanentError as exc:
            self._dead_letter(channel, method, properties, body, queue, str(exc))
        except OperationalError:
            # The database is down: not the message's fault, so no attempt is spent.
            log.warning("database unavailable, message requeued", extra={"queue": queue})
            self.stop_event.wait(1.0)
            channel.basic_nack(method.delivery_tag, requeue=True)
        except Exception as exc:  # a handler failure: retry later, a bounded number of times
            log.exception("handler failed", extra={"queue": queue, "attempt": attempt})
            if attempt >= self.max_attempts:
                self._dead_letter(channel, method, properties, body, queue, f"{type(exc).__name__} after {attempt} attempts")
            else:
                self._retry(channel, method, properties, body, queue, attempt + 1)

    def _republish(self, channel: Any, exchange: str, routing_key: str, properties: pika.BasicProperties,
                   body: bytes, headers: dict[str, Any]) -> None:
        merged = dict(properties.headers or {})
        merged.update(headers)
        copy = pika.BasicProperties(
            message_id=properties.message_id, type=properties.type, content_type=properties.content_type,
            delivery_mode=pika.DeliveryMode.Persistent, correlation_id=properties.correlation_id,
            app_id=properties.app_id, headers=merged)
        channel.basic_publish(exchange, routing_key, body, copy, mandatory=True)

    def _retry(self, channel: Any, method: Any, properties: Any, body: bytes, queue: str, attempt: int) -> None:
        spec = self.subscriptions[queue].spec(self.retry_delay_ms)
        # Published with confirms before the ack: the message is never in neither place.
        self._republish(channel, "", spec.retry_queue, properties, body, {ATTEMPT_HEADER: attempt})
        channel.basic_ack(method.delivery_tag)
        self.stats["retried"] += 1

    def _dead_letter(self, channel: Any, method: Any, properties: Any, body: bytes, queue: str, reason: str) -> None:
        log.error("event dead-lettered", extra={"queue": queue, "reason": reason[:200]})
        self._republish(channel, DEAD_LETTER_EXCHANGE, queue, properties, body, {"x-portal-error": reason[:200]})
        channel.basic_ack(method.delivery_tag)
        self.stats["dead_lettered"] += 1

    # --- main loop ----------------------------------------------------------
    def run_forever(self) -> None:
        backoff = broker.Backoff()
        while not self.stop_event.is_set():
            try:
                self._connection = broker.connect(self.broker_url, name=f"{self.service}-worker")
                channel = self._connection.channel()
                channel.confirm_delivery()
                channel.basic_qos(prefetch_count=self.prefetch)
                self.declare(channel)
                for queue in self.subscriptions:
                    channel.basic_consume(queue, lambda ch, m, p, b, q=queue: self._on_message(ch, m, p, b, q))
                backoff.reset()
                self.ready.set()
                log.info("consumer ready", extra={"queues": list(self.subscriptions)})
                while not self.stop_event.is_set():
                    self._connection.process_data_events(time_limit=0.2)
                self._connection.close()
            except (AMQPConnectionError, AMQPChannelError, ConnectionError, OSError) as exc:
                self.ready.clear()
                log.warning("broker unavailable, consumer reconnecting", extra={"error": type(exc).__name__})
                backoff.sleep(self.stop_event)
        self.ready.clear()

    def stop(self) -> None:
        self.stop_event.set()


def run_worker(app: Any, subscriptions: Iterable[Subscription]) -> None:
    """Entry point of `python -m <service>.worker`: one connection, handlers from the service."""
    portal = app.extensions["portal"]
    settings = portal.settings
    consumer = Consumer(service=settings.service, db=portal.db, outbox=portal.outbox,
                        broker_url=settings.broker_url, exchange=settings.exchange,
                        subscriptions=subscriptions, prefetch=settings.consumer_prefetch,
                        max_attempts=settings.max_attempts, retry_delay_ms=settings.retry_delay_ms)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop())
    signal.signal(signal.SIGINT, lambda *_: consumer.stop())
    with app.app_context():
        consumer.run_forever()
