"""The audit trail (change requests) and the member's versioned snapshots, shared by every capability's use
cases; no commit here (the calling use case commits)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from portal_common.clock import utcnow
from portal_common.messaging.event_types import EventType

from ...models import ChangeRequest, Member
from ..rules import Actor, ChangeAction, ChangeAlreadyRequested, ChangeStatus
from .snapshots import member_snapshot

Event = tuple[str, dict[str, Any]]


def new_request(
    member_id: str,
    kind: str,
    action: str,
    before: dict,
    after: dict,
    actor: Actor,
    *,
    target_id: str | None = None,
    pending: bool = True,
) -> ChangeRequest:
    now = utcnow()
    return ChangeRequest(
        id=str(uuid.uuid4()),
        member_id=member_id,
        kind=kind,
        action=action,
        target_id=target_id,
        before=before,
        after=after,
        status=ChangeStatus.PENDING if pending else ChangeStatus.APPLIED,
        requested_by=actor.user_id,
        requested_by_name=actor.name,
        requested_by_staff=actor.is_staff,
        requested_at=now,
        decided_at=None if pending else now,
    )


def refuse_repeated_request(
    session: Any,
    member_id: str,
    kind: str,
    action: str,
    after: dict,
    *,
    target_id: str | None = None,
    field: str = "kind",
) -> None:
    """A form sent twice or a call retried makes one change request: the same pending change, or any pending
    change of the same address or contact, is a 409 naming it. The caller holds the member's row lock (and the
    SQLite write lock), so two requests at once see each other's."""
    pending = select(ChangeRequest).where(
        ChangeRequest.member_id == member_id,
        ChangeRequest.kind == kind,
        ChangeRequest.status == ChangeStatus.PENDING,
    )
    for existing in session.scalars(pending):
        if target_id is not None and action != ChangeAction.CREATE and existing.target_id == target_id:
            same = existing.action == action and existing.after == after
            raise ChangeAlreadyRequested(existing.id, same_target=not same, field=field)
        if existing.action == action and existing.after == after:
            raise ChangeAlreadyRequested(existing.id, field=field)


def record_all(tx: Any, member_id: str, found: list[Event]) -> None:
    for event_type, data in found:
        tx.record(event_type, subject=member_id, member_id=member_id, data=data)


def new_version(member: Member) -> None:
    """The member's version goes up at the next flush even when none of its own columns changed (a contact or
    its centre did, which its snapshot carries): SQLAlchemy's version counter counts UPDATEs, so one is made."""
    flag_modified(member, "name")


def publish_snapshot(tx: Any, member: Member) -> None:
    """A new version of the member and its members.member.updated.v1."""
    new_version(member)
    tx.session.flush()
    tx.record(
        EventType.MEMBERS_MEMBER_UPDATED,
        subject=member.id,
        member_id=member.id,
        data=member_snapshot(tx.session, member),
    )
