"""Applying a change request to the company's data, and the events it causes (no commit here)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.messaging.event_types import EventType

from ...addressbook.rules import AddressKind, is_current
from ...models import Address, ChangeRequest, Contact, Member
from ...sepa.use_cases import activate_mandate
from ..naf import NAF_VERSION
from ..rules import ChangeAction, ChangeKind
from .audit import Event, new_version
from .snapshots import address_values, contact_values, member_snapshot, record_values


def current_values(session: Session, request: ChangeRequest) -> dict[str, Any]:
    """What the request's target holds now (to detect a stale request)."""
    if request.kind == ChangeKind.RECORD:
        return record_values(session.get(Member, request.member_id))
    model = {ChangeKind.ADDRESS: Address, ChangeKind.CONTACT: Contact}.get(request.kind)
    if model is None or request.target_id is None:
        return {}
    target = session.get(model, request.target_id)
    if target is None:
        return {}
    return address_values(target) if request.kind == ChangeKind.ADDRESS else contact_values(target)


def _set_main_address(member: Member, values: dict[str, Any]) -> None:
    if values["kind"] == AddressKind.MAIN and is_current(values, today()):
        member.address_line1, member.address_line2 = values["line1"], values["line2"]
        member.postal_code, member.city = values["postal_code"], values["city"]


ENTRY_ACTIONS = {ChangeAction.CREATE: "created", ChangeAction.UPDATE: "updated", ChangeAction.DELETE: "removed"}


def entry_event(request: ChangeRequest, version: int) -> Event:
    """members.address.changed.v1 / members.contact.changed.v1: the entry's values (before, when removed)."""
    values = request.before if request.action == ChangeAction.DELETE else request.after
    if request.kind == ChangeKind.ADDRESS:
        return EventType.MEMBERS_ADDRESS_CHANGED, {
            "member_id": request.member_id,
            "address_id": request.target_id,
            "action": ENTRY_ACTIONS[ChangeAction(request.action)],
            **values,
            "version": version,
        }
    return EventType.MEMBERS_CONTACT_CHANGED, {
        "member_id": request.member_id,
        "contact_id": request.target_id,
        "action": ENTRY_ACTIONS[ChangeAction(request.action)],
        **values,
        "version": version,
    }


def _apply_entry(session: Session, request: ChangeRequest, model: type[Address] | type[Contact]) -> None:
    after = dict(request.after)
    if model is Address:
        for name in ("valid_from", "valid_to"):
            after[name] = date.fromisoformat(after[name]) if after.get(name) else None
    if request.action == ChangeAction.CREATE:
        entry = model(
            id=request.target_id or str(uuid.uuid4()), member_id=request.member_id, created_at=utcnow(), **after
        )
        request.target_id = entry.id
        session.add(entry)
    else:
        entry = session.get(model, request.target_id)
        if entry is None or entry.member_id != request.member_id:
            return
        if request.action == ChangeAction.DELETE:
            session.delete(entry)
            return
        for name, value in after.items():
            setattr(entry, name, value)
    if model is Address:
        _set_main_address(session.get(Member, request.member_id), request.after)


def apply_change(session: Session, request: ChangeRequest, *, creditor_id: str = "") -> list[Event]:
    """Apply an accepted (or immediate) request; the events to record in the same transaction."""
    member = session.get(Member, request.member_id)
    if request.kind == ChangeKind.MANDATE:
        return activate_mandate(session, request, creditor_id)
    if request.kind == ChangeKind.RECORD:
        for name, value in request.after.items():
            setattr(member, name, date.fromisoformat(value) if name == "adhesion_date" else value)
        if "naf_code" in request.after:
            member.naf_version = NAF_VERSION if member.naf_code else None
    elif request.kind in {ChangeKind.ADDRESS, ChangeKind.CONTACT}:
        _apply_entry(session, request, Address if request.kind == ChangeKind.ADDRESS else Contact)
    elif request.kind == ChangeKind.SITUATION:
        member.situation = request.after["kind"]
        member.situation_date = date.fromisoformat(request.after["effective_date"])
    new_version(member)
    session.flush()
    if request.kind == ChangeKind.SITUATION:
        return [
            (
                EventType.MEMBERS_SITUATION_CHANGED,
                {
                    "member_id": member.id,
                    "kind": member.situation,
                    "effective_date": request.after["effective_date"],
                    "version": member.version,
                },
            )
        ]
    found: list[Event] = [(EventType.MEMBERS_MEMBER_UPDATED, member_snapshot(session, member))]
    if request.kind in {ChangeKind.ADDRESS, ChangeKind.CONTACT}:
        found.insert(0, entry_event(request, member.version))
    return found
