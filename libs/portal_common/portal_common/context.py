"""Ids that follow one piece of work through HTTP calls, events and logs."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)
event_id: ContextVar[str | None] = ContextVar("event_id", default=None)


def new_id() -> str:
    return str(uuid.uuid4())


def current_correlation_id() -> str:
    return correlation_id.get() or request_id.get() or new_id()


@contextlib.contextmanager
def bound(**values: str | None) -> Iterator[None]:
    """Bind context ids for the duration of a block (a request, an event being handled)."""
    variables = {
        "request_id": request_id,
        "correlation_id": correlation_id,
        "causation_id": causation_id,
        "event_id": event_id,
    }
    tokens = [(variables[name], variables[name].set(value)) for name, value in values.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
