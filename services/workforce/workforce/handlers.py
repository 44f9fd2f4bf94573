"""Events the workforce service consumes."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import Subscription
from portal_common.messaging.envelope import Envelope

from .models import MemberDirectoryEntry

MEMBER_REGISTERED = "members.member.registered.v1"


def on_member_registered(session: Session, event: Envelope) -> None:
    """Keeps the member directory; an older version arriving late changes nothing."""
    data = event.data
    entry = session.get(MemberDirectoryEntry, data["member_id"])
    if entry is None:
        entry = MemberDirectoryEntry(member_id=data["member_id"])
        session.add(entry)
    elif entry.version >= data["version"]:
        return
    entry.member_number = data["member_number"]
    entry.name = data["name"]
    entry.status = data["status"]
    entry.version = data["version"]


SUBSCRIPTIONS = [Subscription("workforce.member-directory", {MEMBER_REGISTERED: on_member_registered})]
