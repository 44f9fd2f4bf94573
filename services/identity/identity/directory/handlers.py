"""Members' events turned into the member directory, in the consumer's transaction."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal_common.declarants import declaration_recipients
from portal_common.messaging.envelope import Envelope

from ..models import MemberDeclarationContact, MemberDirectoryEntry
from .rules import RESET_CONTACTS

QUEUE = "identity.member-directory"


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
    # The same recipients as workforce computes from the same snapshot (the newest one wins in both).
    session.execute(delete(MemberDeclarationContact).where(MemberDeclarationContact.member_id == entry.member_id))
    session.add_all(
        MemberDeclarationContact(member_id=entry.member_id, email=email) for email in declaration_recipients(data)
    )
