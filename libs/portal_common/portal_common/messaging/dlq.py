"""Dead-letter queues for operators: list what waits there, replay it once the cause is fixed.

    python -m portal_common.messaging.dlq --service billing list [--queue billing.no-shows]
    python -m portal_common.messaging.dlq --service billing replay --queue billing.no-shows \
        (--event-id ID | --all) [--dry-run]

Listing shows the event type, the event id, the reason and the first-death time, never the body: an event may
carry personal data. Replaying sends a message straight to its own queue (default exchange) with its attempt
counter reset, waits for the broker's confirm, and only then acknowledges it in the dead-letter queue: a
message is never in neither place (at worst in both, and consumers apply an event once).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pika
from pika.exceptions import AMQPError

from ..config import BaseSettings
from . import broker, catalogue
from .consumer import ATTEMPT_HEADER
from .topology import QueueSpec, declare_exchanges, declare_queue

ERROR_HEADER = "x-portal-error"
# Stamped by whoever dead-letters, when it does; the broker's own dead-lettering writes x-death instead.
DEAD_LETTERED_AT_HEADER = "x-portal-dead-lettered-at"
REPLAYED_HEADER = "x-portal-replayed"
# Headers describing the failed run: a replayed message starts afresh (the replay count stays, for audit).
_RESET_HEADERS = (
    ATTEMPT_HEADER,
    ERROR_HEADER,
    DEAD_LETTERED_AT_HEADER,
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
    "x-delivery-count",
)


@dataclass(frozen=True)
class DeadLetter:
    """What an operator may see of one dead-lettered message (no body)."""

    delivery_tag: int
    event_type: str
    event_id: str
    reason: str
    first_death: str


class DlqError(Exception):
    """The command cannot run as asked (unknown queue, nothing matched, a publish refused)."""


def service_queues(service: str) -> dict[str, tuple[str, ...]]:
    """The consumer queues of one service, from the deployment-wide routing table."""
    return {queue: types for queue, types in catalogue.topology().items() if queue.startswith(f"{service}.")}


def _first_death(headers: Mapping[str, Any]) -> str:
    stamped = headers.get(DEAD_LETTERED_AT_HEADER)
    if stamped:
        return _text(stamped)
    times: list[datetime] = [
        entry["time"]
        for entry in headers.get("x-death") or []
        if isinstance(entry, dict) and isinstance(entry.get("time"), datetime)
    ]
    if times:
        return min(times).replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return "inconnue"


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def describe(delivery_tag: int, properties: pika.BasicProperties, body: bytes) -> DeadLetter:
    headers = dict(properties.headers or {})
    event_type, event_id = properties.type, properties.message_id
    if not (event_type and event_id):
        # Only the two identifiers are read from the body; nothing else of it is kept or shown.
        try:
            raw = json.loads(body)
            event_type = event_type or str(raw.get("type") or "")
            event_id = event_id or str(raw.get("id") or "")
        except (ValueError, AttributeError):
            pass
    # A broker dead-lettering (delivery limit) has no portal reason: its own reason says what happened.
    reason = headers.get(ERROR_HEADER) or headers.get("x-first-death-reason") or ""
    return DeadLetter(delivery_tag, event_type or "?", event_id or "?", _text(reason), _first_death(headers))


class DeadLetterQueue:
    """One consumer queue's dead-letter queue, over a channel with publisher confirms."""

    def __init__(self, channel: Any, exchange: str, spec: QueueSpec):
        self.channel = channel
        self.spec = spec
        declare_exchanges(channel, exchange)
        declare_queue(channel, exchange, spec)  # idempotent, the same arguments as the consumer's

    def take(self) -> list[tuple[DeadLetter, pika.BasicProperties, bytes]]:
        """Every message waiting now, held unacknowledged by this channel (others do not see them meanwhile)."""
        waiting = self.channel.queue_declare(queue=self.spec.dead_letter_queue, passive=True).method.message_count
        taken: list[Any] = []
        # Bounded by the count seen at the start: messages dead-lettered meanwhile wait for the next run.
        while len(taken) < waiting:
            method, properties, body = self.channel.basic_get(self.spec.dead_letter_queue, auto_ack=False)
            if method is None:
                break
            taken.append((describe(method.delivery_tag, properties, body), properties, body))
        return taken

    def give_back(self) -> None:
        """Return what is still held, untouched (nack does not count as a failed delivery)."""
        self.channel.basic_nack(delivery_tag=0, multiple=True, requeue=True)

    def replay(self, letter: DeadLetter, properties: pika.BasicProperties, body: bytes) -> None:
        headers = {k: v for k, v in dict(properties.headers or {}).items() if k not in _RESET_HEADERS}
        headers[REPLAYED_HEADER] = int(dict(properties.headers or {}).get(REPLAYED_HEADER, 0)) + 1
        copy = pika.BasicProperties(
            message_id=properties.message_id,
            type=properties.type,
            content_type=properties.content_type,
            delivery_mode=pika.DeliveryMode.Persistent,
            correlation_id=properties.correlation_id,
            app_id=properties.app_id,
            headers=headers,
        )
        # Confirms are on: this returns once the broker holds the message, and raises if it refused or
        # returned it; only then is the dead-letter copy acknowledged.
        self.channel.basic_publish("", self.spec.name, body, copy, mandatory=True)
        self.channel.basic_ack(letter.delivery_tag)


def _open(settings: BaseSettings, queue: str) -> tuple[Any, DeadLetterQueue]:
    types = service_queues(settings.service).get(queue)
    if types is None:
        raise DlqError(
            f"la file {queue!r} n'appartient pas au service {settings.service} "
            f"(files : {', '.join(service_queues(settings.service)) or 'aucune'})"
        )
    connection = broker.connect(settings.broker_url, name=f"{settings.service}-dlq")
    channel = connection.channel()
    channel.confirm_delivery()
    spec = QueueSpec(queue, types, retry_delay_ms=settings.retry_delay_ms)
    return connection, DeadLetterQueue(channel, settings.exchange, spec)


def list_queue(settings: BaseSettings, queue: str, out: Any) -> int:
    connection, dlq = _open(settings, queue)
    try:
        letters = dlq.take()
        dlq.give_back()
    finally:
        connection.close()
    print(f"{dlq.spec.dead_letter_queue} : {len(letters)} message(s)", file=out)
    for letter, _, _ in letters:
        print(
            f"  {letter.event_type}  {letter.event_id}  mort le {letter.first_death}  motif : {letter.reason}", file=out
        )
    return len(letters)


def replay_queue(settings: BaseSettings, queue: str, event_id: str | None, dry_run: bool, out: Any) -> int:
    connection, dlq = _open(settings, queue)
    replayed = 0
    try:
        letters = dlq.take()
        chosen = [entry for entry in letters if event_id is None or entry[0].event_id == event_id]
        if not chosen:
            dlq.give_back()
            raise DlqError(
                f"aucun message à rejouer dans {dlq.spec.dead_letter_queue}"
                + (f" pour l'événement {event_id}" if event_id else "")
            )
        for letter, properties, body in chosen:
            if dry_run:
                print(f"  rejouerait {letter.event_type}  {letter.event_id}", file=out)
                continue
            dlq.replay(letter, properties, body)
            replayed += 1
            print(f"  rejoué {letter.event_type}  {letter.event_id}", file=out)
        dlq.give_back()  # the ones not chosen, and all of them in a dry run
    except AMQPError as exc:
        # The current message was not acknowledged: it stays in the dead-letter queue (closing returns it).
        raise DlqError(f"rejeu interrompu après {replayed} message(s) : {type(exc).__name__}") from exc
    finally:
        if connection.is_open:
            connection.close()
    if dry_run:
        print(f"Simulation : {len(chosen)} message(s) seraient rejoués vers {queue}, rien n'a été modifié.", file=out)
    else:
        print(f"{replayed} message(s) rejoué(s) vers {queue}.", file=out)
    return replayed


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None, out: Any = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m portal_common.messaging.dlq",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--service", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="count and describe the dead-lettered messages (never their body)")
    listing.add_argument("--queue", help="one consumer queue of the service (default: all of them)")
    replay = commands.add_parser("replay", help="send dead-lettered messages back to their queue")
    replay.add_argument("--queue", required=True)
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--event-id")
    which.add_argument("--all", action="store_true")
    replay.add_argument("--dry-run", action="store_true", help="show what would be replayed, change nothing")
    args = parser.parse_args(argv)

    from .relay import settings_for  # the relay's settings: same broker URL, exchange and retry delay

    settings = settings_for(args.service).load_or_exit(environ)
    try:
        if args.command == "list":
            queues = [args.queue] if args.queue else list(service_queues(args.service))
            for queue in queues:
                list_queue(settings, queue, out)
        else:
            replay_queue(settings, args.queue, None if args.all else args.event_id, args.dry_run, out)
    except DlqError as exc:
        print(f"dlq : {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
