"""Applying a change request to the company's data, and the event snapshots it causes (no commit here)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_common.clock import utcnow

from . import events
from .addressbook import is_current
from .domain import RECORD_FIELDS, phone_fr, today
from .models import Address, Centre, ChangeRequest, Contact, HealthTeam, Member, SepaMandate
from .naf import NAF_VERSION
from .team import CENTRE_FIELDS, centre_address

Event = tuple[str, dict[str, Any]]


def record_values(member: Member) -> dict[str, Any]:
    values = {name: getattr(member, name) for name in RECORD_FIELDS}
    values["adhesion_date"] = member.adhesion_date.isoformat()
    return values


def address_values(address: Address) -> dict[str, Any]:
    return {"kind": address.kind, "line1": address.line1, "line2": address.line2,
            "postal_code": address.postal_code, "city": address.city,
            "valid_from": address.valid_from.isoformat() if address.valid_from else None,
            "valid_to": address.valid_to.isoformat() if address.valid_to else None}


def contact_values(contact: Contact) -> dict[str, Any]:
    return {"kind": contact.kind, "name": contact.name, "function": contact.function, "email": contact.email,
            "phone": contact.phone, "mobile": contact.mobile}


def current_values(session: Session, request: ChangeRequest) -> dict[str, Any]:
    """What the request's target holds now (to detect a stale request)."""
    if request.kind == "record":
        return record_values(session.get(Member, request.member_id))
    model = {"address": Address, "contact": Contact}.get(request.kind)
    if model is None or request.target_id is None:
        return {}
    target = session.get(model, request.target_id)
    if target is None:
        return {}
    return address_values(target) if request.kind == "address" else contact_values(target)


def registered_event(member: Member) -> dict[str, Any]:
    """members.member.registered.v1, also the base of every update snapshot."""
    return {
        "member_id": member.id, "member_number": member.member_number, "name": member.name,
        "siret": member.siret, "naf_code": member.naf_code, "status": member.status,
        "address": {"line1": member.address_line1, "line2": member.address_line2,
                    "postal_code": member.postal_code, "city": member.city},
        "email": member.email, "billing_email": member.billing_email, "declarant_code_digest": member.declarant_code_digest,
        "version": member.version,
    }


def health_centre(session: Session, member_id: str) -> dict[str, Any] | None:
    """The assigned centre as scheduling prints it on convocations (phone French style)."""
    team = session.get(HealthTeam, member_id)
    centre = session.get(Centre, team.centre_id) if team is not None and team.centre_id else None
    if centre is None:
        return None
    return {"name": centre.name, "address": centre_address(centre_values(centre)),
            "phone": phone_fr(centre.phone) or None}


def centre_values(centre: Centre) -> dict[str, Any]:
    return {name: getattr(centre, name) for name in CENTRE_FIELDS}


def member_snapshot(session: Session, member: Member) -> dict[str, Any]:
    """members.member.updated.v1: the registered fields, the contacts, the convocation e-mail, the centre."""
    contacts = session.scalars(select(Contact).where(Contact.member_id == member.id)
                               .order_by(Contact.kind, Contact.name)).all()
    convocation = next((c.email for c in contacts if c.kind == "contact_convocation" and c.email), None)
    return {**registered_event(member), "contacts": [{"kind": c.kind, "name": c.name, "email": c.email}
                                                     for c in contacts],
            "convocation_email": convocation, "health_centre": health_centre(session, member.id)}


def _set_main_address(member: Member, values: dict[str, Any]) -> None:
    if values["kind"] == "principale" and is_current(values, today()):
        member.address_line1, member.address_line2 = values["line1"], values["line2"]
        member.postal_code, member.city = values["postal_code"], values["city"]


ENTRY_ACTIONS = {"create": "created", "update": "updated", "delete": "removed"}


def entry_event(request: ChangeRequest, version: int) -> Event:
    """members.address.changed.v1 / members.contact.changed.v1: the entry's values (before, when removed)."""
    values = request.before if request.action == "delete" else request.after
    if request.kind == "address":
        return events.ADDRESS_CHANGED, {"member_id": request.member_id, "address_id": request.target_id,
                                        "action": ENTRY_ACTIONS[request.action], **values, "version": version}
    return events.CONTACT_CHANGED, {"member_id": request.member_id, "contact_id": request.target_id,
                                    "action": ENTRY_ACTIONS[request.action], **values, "version": version}


def _apply_entry(session: Session, request: ChangeRequest, model: type[Address] | type[Contact]) -> None:
    after = dict(request.after)
    if model is Address:
        for name in ("valid_from", "valid_to"):
            after[name] = date.fromisoformat(after[name]) if after.get(name) else None
    if request.action == "create":
        entry = model(id=request.target_id or str(uuid.uuid4()), member_id=request.member_id,
                      created_at=utcnow(), **after)
        request.target_id = entry.id
        session.add(entry)
    else:
        entry = session.get(model, request.target_id)
        if entry is None or entry.member_id != request.member_id:
            return
        if request.action == "delete":
            session.delete(entry)
            return
        for name, value in after.items():
            setattr(entry, name, value)
    if model is Address:
        _set_main_address(session.get(Member, request.member_id), request.after)


def next_mandate_version(session: Session, member_id: str) -> int:
    """Mandate events are versioned per member: billing keeps one mandate state per company."""
    highest = session.scalar(select(func.max(SepaMandate.version)).where(SepaMandate.member_id == member_id))
    return (highest or 0) + 1


def mandate_signed_event(mandate: SepaMandate, creditor_id: str, replaced: str | None) -> Event:
    return events.SEPA_MANDATE_SIGNED, {
        "member_id": mandate.member_id, "mandate_reference": mandate.reference, "creditor_id": creditor_id,
        "signed_on": mandate.signed_on.isoformat(), "replaced_reference": replaced, "version": mandate.version}


def mandate_revoked_event(mandate: SepaMandate) -> Event:
    return events.SEPA_MANDATE_REVOKED, {
        "member_id": mandate.member_id, "mandate_reference": mandate.reference,
        "revoked_on": mandate.revoked_on.isoformat(), "version": mandate.version}


def _activate_mandate(session: Session, request: ChangeRequest, creditor_id: str) -> list[Event]:
    mandate = session.get(SepaMandate, request.target_id)
    if mandate is None or mandate.status != "pending":
        return []
    replaced = None
    for previous in session.scalars(select(SepaMandate).where(
            SepaMandate.member_id == request.member_id, SepaMandate.status == "active")):
        previous.status, previous.revoked_on = "revoked", today()  # replaced by the new one
        replaced = previous.reference
    mandate.status = "active"
    mandate.version = next_mandate_version(session, request.member_id)
    session.flush()
    return [mandate_signed_event(mandate, creditor_id, replaced)]


def apply_change(session: Session, request: ChangeRequest, *, creditor_id: str = "") -> list[Event]:
    """Apply an accepted (or immediate) request; the events to record in the same transaction."""
    member = session.get(Member, request.member_id)
    if request.kind == "mandate":
        return _activate_mandate(session, request, creditor_id)
    if request.kind == "record":
        for name, value in request.after.items():
            setattr(member, name, date.fromisoformat(value) if name == "adhesion_date" else value)
        if "naf_code" in request.after:
            member.naf_version = NAF_VERSION if member.naf_code else None
    elif request.kind in {"address", "contact"}:
        _apply_entry(session, request, Address if request.kind == "address" else Contact)
    elif request.kind == "situation":
        member.situation = request.after["kind"]
        member.situation_date = date.fromisoformat(request.after["effective_date"])
    member.version += 1
    session.flush()
    if request.kind == "situation":
        return [(events.SITUATION_CHANGED, {"member_id": member.id, "kind": member.situation,
                                            "effective_date": request.after["effective_date"],
                                            "version": member.version})]
    found = [(events.MEMBER_UPDATED, member_snapshot(session, member))]
    if request.kind in {"address", "contact"}:
        found.insert(0, entry_event(request, member.version))
    return found
