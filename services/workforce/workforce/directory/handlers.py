"""Member directory handlers: the member snapshots and situations the members service publishes, kept in the
consumer's transaction (subscribed in worker.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal_common.declarants import declaration_recipients
from portal_common.messaging.envelope import Envelope

from ..declarations.rules import CEASING_KINDS
from ..models import MemberDeclarationContact, MemberDirectoryEntry


def on_member_registered(session: Session, event: Envelope) -> None:
    """Keeps the member directory (registered and updated snapshots); an older version changes nothing."""
    data = event.data
    entry = session.get(MemberDirectoryEntry, data["member_id"])
    if entry is None:
        entry = MemberDirectoryEntry(member_id=data["member_id"])
        session.add(entry)
    elif entry.version >= data["version"]:
        return
    entry.member_number = data["member_number"]
    entry.name = data["name"]
    entry.siret = data.get("siret")
    entry.status = data["status"]
    entry.version = data["version"]
    # Every declaration contact, replaced as a whole: a contact removed from the record no longer hears of it.
    session.execute(delete(MemberDeclarationContact).where(MemberDeclarationContact.member_id == entry.member_id))
    session.add_all(
        MemberDeclarationContact(member_id=entry.member_id, email=email) for email in declaration_recipients(data)
    )


def on_situation_changed(session: Session, event: Envelope) -> None:
    """A company that ceased (from its effective date) has no declaration to enter any more."""
    data = event.data
    entry = session.get(MemberDirectoryEntry, data["member_id"])
    if entry is None:  # the registration has not arrived yet: the consumer retries later
        raise LookupError("member not yet in the directory")
    if entry.situation_version is not None and entry.situation_version >= data["version"]:
        return
    entry.situation_version = data["version"]
    if data["kind"] in CEASING_KINDS:
        entry.ceased_kind, entry.ceased_on = data["kind"], date.fromisoformat(data["effective_date"])
