"""Events the identity service consumes."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import Subscription
from portal_common.messaging.envelope import Envelope

from .models import MemberDirectoryEntry

MEMBER_REGISTERED = "members.member.registered.v1"


def on_member_registered(session: Session, event: Envelope) -> None:
    """Member numbers and names for login by member number and for "Changer d'adhérent"."""
    data = event.data
    entry = session.get(MemberDirectoryEntry, data["member_id"])
    if entry is None:
        session.add(MemberDirectoryEntry(member_id=data["member_id"], member_number=data["member_number"],
                                         name=data["name"], status=data["status"], version=data["version"]))
    elif data["version"] > entry.version:  # events may arrive out of order
        entry.member_number, entry.name = data["member_number"], data["name"]
        entry.status, entry.version = data["status"], data["version"]


SUBSCRIPTIONS = [Subscription("identity.member-directory", {MEMBER_REGISTERED: on_member_registered})]
