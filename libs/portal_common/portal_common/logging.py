"""JSON logs on stderr, each line carrying the request, correlation, event and trace ids."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from . import context, tracing

_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            # json.dumps escapes control characters, which defeats log injection.
            "message": record.getMessage(),
            "request_id": context.request_id.get(),
            "correlation_id": context.correlation_id.get(),
            "event_id": context.event_id.get(),
        }
        # The trace id finds the line's trace in the trace store, and the trace's lines in the logs.
        trace_id, span_id = tracing.current_ids()
        if trace_id is not None:
            entry["trace_id"], entry["span_id"] = trace_id, span_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # pika is chatty at INFO on every reconnect attempt.
    logging.getLogger("pika").setLevel(logging.WARNING)
