"""Connecting to RabbitMQ with explicit heartbeats, timeouts and back-off."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import pika

HEARTBEAT_SECONDS = 30
BLOCKED_CONNECTION_TIMEOUT = 60


def connection_parameters(url: str, *, socket_timeout: float = 5.0) -> pika.URLParameters:
    params = pika.URLParameters(url)
    params.heartbeat = HEARTBEAT_SECONDS
    params.blocked_connection_timeout = BLOCKED_CONNECTION_TIMEOUT
    params.socket_timeout = socket_timeout
    params.connection_attempts = 1
    params.client_properties = {"connection_name": "portal"}
    return params


def connect(url: str, *, name: str = "portal") -> pika.BlockingConnection:
    params = connection_parameters(url)
    params.client_properties = {"connection_name": name}
    return pika.BlockingConnection(params)


def broker_reachable(url: str, timeout: float = 2.0) -> tuple[bool, str]:
    try:
        params = connection_parameters(url, socket_timeout=timeout)
        params.stack_timeout = timeout
        connection = pika.BlockingConnection(params)
    except Exception as exc:  # any failure means "not ready"; say which
        return False, type(exc).__name__
    connection.close()
    return True, "ok"


@dataclass
class Backoff:
    """Capped exponential back-off with full jitter for reconnect loops."""

    initial: float = 0.5
    cap: float = 10.0
    attempt: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.initial * (2**self.attempt))
        self.attempt += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0

    def sleep(self, stop: object | None = None) -> None:
        delay = self.next_delay()
        waiter = getattr(stop, "wait", None)
        if waiter:
            waiter(delay)
        else:
            time.sleep(delay)
