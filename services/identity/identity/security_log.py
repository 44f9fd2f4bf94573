"""The security log (who, when, from where, what, outcome), written in the caller's transaction."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from portal_common import clock

from .models import SecurityEvent

log = logging.getLogger("identity.security")


@dataclass(frozen=True)
class Client:
    """Where a request came from: the gateway sets X-Real-IP itself (clients cannot forge it)."""

    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, request: Any) -> "Client":
        return cls(ip=request.headers.get("X-Real-IP") or request.remote_addr, user_agent=request.user_agent.string)


def record(session: Session, kind: str, outcome: str, client: Client, *, user_id: str | None = None,
           actor_id: str | None = None, member_id: str | None = None, detail: str | None = None) -> None:
    """`detail` is a label for the reader (a token's name, the roles given): never a secret."""
    session.add(SecurityEvent(id=str(uuid.uuid4()), occurred_at=clock.utcnow(), kind=kind, outcome=outcome,
                              user_id=user_id, actor_id=actor_id or user_id, member_id=member_id,
                              ip=(client.ip or "")[:45] or None, user_agent=(client.user_agent or "")[:200] or None,
                              detail=(detail or "")[:200] or None))
    log.info("security event", extra={"kind": kind, "outcome": outcome, "user_id": user_id, "ip": client.ip})
