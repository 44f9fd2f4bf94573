"""Events the identity service consumes."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import Subscription
from portal_common.messaging.envelope import Envelope

from .models import MemberDirectoryEntry

MEMBER_REGISTERED = "members.member.registered.v1"
MEMBER_UPDATED = "members.member.updated.v1"
# Contacts that may receive a password-reset link for the company's accounts.
RESET_CONTACTS = {"dirigeant": "manager_email", "responsable_rh": "hr_email"}


def on_member_registered(session: Session, event: Envelope) -> None:
    """Member numbers and names for login by member number and for "Changer d'adhérent"."""
    data = event.data
    entry = session.get(MemberDirectoryEntry, data["member_id"])
    if entry is None:
        entry = MemberDirectoryEntry(member_id=data["member_id"], version=0)
        session.add(entry)
    elif data["version"] <= entry.version:  # events may arrive out of order or twice
        return
    entry.member_number, entry.name = data["member_number"], data["name"]
    entry.status, entry.version = data["status"], data["version"]
    if "declarant_code_digest" in data:  # optional: absent means "unchanged"
        entry.declarant_code_digest = data["declarant_code_digest"]
    if "contacts" in data:  # only updated.v1 carries them; absent means "unchanged"
        emails = {c["kind"]: c.get("email") for c in data["contacts"] or []}
        for kind, column in RESET_CONTACTS.items():
            setattr(entry, column, emails.get(kind))


SUBSCRIPTIONS = [Subscription("identity.member-directory", {MEMBER_REGISTERED: on_member_registered,
                                                            MEMBER_UPDATED: on_member_registered})]
