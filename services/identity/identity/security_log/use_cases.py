"""Writing the security log (who, when, from where, what, outcome) in the caller's transaction: the use case that
logs commits the entry together with what it logs."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

from portal_common import clock

from ..models import SecurityEvent
from .rules import Client, LogKind, LogOutcome

log = logging.getLogger("identity.security")


def record(
    session: Session,
    kind: LogKind,
    outcome: LogOutcome,
    client: Client,
    *,
    user_id: str | None = None,
    actor_id: str | None = None,
    member_id: str | None = None,
    detail: str | None = None,
) -> None:
    """`detail` is a label for the reader (a token's name, the roles given): never a secret."""
    session.add(
        SecurityEvent(
            id=str(uuid.uuid4()),
            occurred_at=clock.utcnow(),
            kind=kind,
            outcome=outcome,
            user_id=user_id,
            actor_id=actor_id or user_id,
            member_id=member_id,
            ip=(client.ip or "")[:45] or None,
            user_agent=(client.user_agent or "")[:200] or None,
            detail=(detail or "")[:200] or None,
        )
    )
    log.info("security event", extra={"kind": kind, "outcome": outcome, "user_id": user_id, "ip": client.ip})
