"""The envelope every event travels in (also mirrored in the AMQP properties)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import context
from ..clock import utcnow


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    occurred_at: str
    producer: str
    subject: str
    member_id: str | None
    correlation_id: str
    causation_id: str | None
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        event_type: str,
        *,
        producer: str,
        subject: str,
        member_id: str | None,
        data: dict[str, Any],
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """A new event caused by the work in progress (request or event being handled)."""
        return cls(
            id=context.new_id(),
            type=event_type,
            occurred_at=(occurred_at or utcnow()).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            producer=producer,
            subject=subject,
            member_id=member_id,
            correlation_id=context.current_correlation_id(),
            causation_id=context.event_id.get() or context.request_id.get(),
            data=data,
        )

    def to_dict(self) -> dict[str, Any]:
        """A fresh dict of the fields, `data` copied deeply (as dataclasses.asdict did, faster)."""
        raw = {name: getattr(self, name) for name in self.__dataclass_fields__}
        raw["data"] = _copy(self.data)
        return raw

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), default=str)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Envelope:
        known: dict[str, Any] = {name: raw.get(name) for name in cls.__dataclass_fields__}
        known["data"] = known["data"] or {}
        return cls(**known)

    @classmethod
    def from_json(cls, body: bytes | str) -> Envelope:
        return cls.from_dict(json.loads(body))


def _copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars), much faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
