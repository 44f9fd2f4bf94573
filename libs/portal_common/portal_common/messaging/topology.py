"""Exchanges and queues, declared idempotently by whoever needs them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pika.adapters.blocking_connection import BlockingChannel

DEAD_LETTER_EXCHANGE = "portal.dlx"
# A crash loop (the consumer dies before acking) is cut by the broker after this many deliveries.
DELIVERY_LIMIT = 10


@dataclass(frozen=True)
class QueueSpec:
    """One consumer queue, its retry queue and its dead-letter queue."""

    name: str
    event_types: tuple[str, ...]
    retry_delay_ms: int = 5000
    max_length: int = 1_000_000

    @property
    def retry_queue(self) -> str:
        return f"{self.name}.retry"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.name}.dlq"

    def main_arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": self.name,
            # at-least-once dead-lettering needs reject-publish overflow (RabbitMQ quorum queue docs).
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            "x-max-length": self.max_length,
        }

    def retry_arguments(self) -> dict[str, Any]:
        # Expired messages go back to the main queue through the default exchange.
        return {
            "x-queue-type": "quorum",
            "x-message-ttl": self.retry_delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": self.name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }

    def dead_letter_arguments(self) -> dict[str, Any]:
        return {"x-queue-type": "quorum"}


@dataclass
class Topology:
    exchange: str
    queues: list[QueueSpec] = field(default_factory=list)

    def declare(self, channel: BlockingChannel) -> None:
        declare_exchanges(channel, self.exchange)
        for spec in self.queues:
            declare_queue(channel, self.exchange, spec)


def declare_exchanges(channel: BlockingChannel, exchange: str) -> None:
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
    channel.exchange_declare(exchange=DEAD_LETTER_EXCHANGE, exchange_type="direct", durable=True)


def declare_queue(channel: BlockingChannel, exchange: str, spec: QueueSpec) -> None:
    channel.queue_declare(queue=spec.name, durable=True, arguments=spec.main_arguments())
    channel.queue_declare(queue=spec.retry_queue, durable=True, arguments=spec.retry_arguments())
    channel.queue_declare(queue=spec.dead_letter_queue, durable=True, arguments=spec.dead_letter_arguments())
    channel.queue_bind(queue=spec.dead_letter_queue, exchange=DEAD_LETTER_EXCHANGE, routing_key=spec.name)
    for event_type in spec.event_types:
        channel.queue_bind(queue=spec.name, exchange=exchange, routing_key=event_type)


def queue_specs(specs: Iterable[QueueSpec]) -> list[QueueSpec]:
    return list(specs)
