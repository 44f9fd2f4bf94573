"""Use cases of the members service: the only place that commits."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from portal_common.clock import utcnow
from portal_common.errors import FieldErrors
from portal_common.passport import Principal
from portal_common.service import Portal

from . import events
from .addressbook import EntryRejected, check_address, check_contact
from .applying import (address_values, apply_change, contact_values, current_values, mandate_event,
                       next_mandate_version, record_values, registered_event)
from .changes import DecisionRefused, check_decision, entry_needs_validation, is_stale, split_record_change
from .crypto import FieldCipher, cipher_from_settings
from .domain import Registration, check_record_change, check_registration, next_member_number, today
from .models import Address, ChangeRequest, Contact, Member, SepaMandate
from .naf import NAF_VERSION
from .sepa import check_mandate, mandate_reference, masked_iban
from .situations import check_situation


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as written in the audit trail."""

    user_id: str
    name: str
    is_staff: bool

    @classmethod
    def of(cls, principal: Principal) -> "Actor":
        return cls(principal.user_id, principal.display_name, principal.is_staff)


SYSTEM = Actor("system", "Reprise des données", True)


class NotFound(LookupError):
    """The object does not exist for this company (another company's id included)."""


def _new_request(member_id: str, kind: str, action: str, before: dict, after: dict, actor: Actor, *,
                 target_id: str | None = None, pending: bool = True) -> ChangeRequest:
    now = utcnow()
    return ChangeRequest(
        id=str(uuid.uuid4()), member_id=member_id, kind=kind, action=action, target_id=target_id, before=before,
        after=after, status="pending" if pending else "applied", requested_by=actor.user_id,
        requested_by_name=actor.name, requested_by_staff=actor.is_staff, requested_at=now,
        decided_at=None if pending else now)


def _record_all(tx: Any, member_id: str, found: list[tuple[str, dict]]) -> None:
    for event_type, data in found:
        tx.record(event_type, subject=member_id, member_id=member_id, data=data)


def register_member(portal: Portal, registration: Registration, *, member_id: str | None = None,
                    member_number: str | None = None, actor: Actor = SYSTEM) -> Member:
    """Staff register a member company; everyone else learns it from the event."""
    with portal.uow() as tx:
        taken = tx.session.scalar(select(Member.id).where(Member.siret == registration.siret.replace(" ", "")))
        reg = check_registration(registration, siret_taken=taken is not None)
        if member_number is None:
            # Serialised by the unique constraint: a concurrent registration retries.
            member_number = next_member_number(tx.session.scalar(select(func.max(Member.member_number))))
        member = Member(
            id=member_id or str(uuid.uuid4()), member_number=member_number, name=reg.name, siret=reg.siret,
            naf_code=reg.naf_code, naf_version=NAF_VERSION if reg.naf_code else None, status="active",
            address_line1=reg.address_line1, address_line2=reg.address_line2, postal_code=reg.postal_code,
            city=reg.city, email=reg.email, phone=reg.phone, billing_email=reg.billing_email,
            adhesion_date=reg.adhesion_date, employees_followed=0, version=1, created_at=utcnow(),
        )
        tx.session.add(member)
        tx.session.flush()  # the member row first: the address and the audit entry refer to it
        tx.session.add(Address(id=str(uuid.uuid4()), member_id=member.id, kind="principale",
                               line1=reg.address_line1, line2=reg.address_line2, postal_code=reg.postal_code,
                               city=reg.city, valid_from=reg.adhesion_date, valid_to=None, created_at=utcnow()))
        tx.session.flush()
        tx.session.add(_new_request(member.id, "record", "create", {}, record_values(member), actor, pending=False))
        tx.record(events.MEMBER_REGISTERED, subject=member.id, member_id=member.id, data=registered_event(member))
        tx.commit()
        return member


def change_record(portal: Portal, member_id: str, proposed: dict[str, Any], actor: Actor) -> list[ChangeRequest]:
    """A record edit: fields configured immediate (or edited by staff) apply now, the others wait."""
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        current = record_values(member)
        siret_taken = "siret" in proposed and tx.session.scalar(select(Member.id).where(
            Member.siret == str(proposed["siret"]).replace(" ", ""), Member.id != member_id)) is not None
        number_taken = "member_number" in proposed and tx.session.scalar(select(Member.id).where(
            Member.member_number == str(proposed["member_number"]).strip(), Member.id != member_id)) is not None
        changed = check_record_change(current, proposed, by_staff=actor.is_staff, siret_taken=siret_taken,
                                      number_taken=number_taken)
        changed = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in changed.items()}
        at_once, waiting = split_record_change(changed, by_staff=actor.is_staff,
                                               immediate=portal.settings.immediate_fields)
        created = []
        if at_once:
            request = _new_request(member_id, "record", "update", {k: current[k] for k in at_once}, at_once, actor,
                                   pending=False)
            tx.session.add(request)
            _record_all(tx, member_id, apply_change(tx.session, request))
            created.append(request)
        if waiting:
            request = _new_request(member_id, "record", "update", {k: current[k] for k in waiting}, waiting, actor)
            tx.session.add(request)
            created.append(request)
        tx.commit()
        return created


ENTRY_MODELS = {"address": (Address, check_address, address_values),
                "contact": (Contact, check_contact, contact_values)}


def change_entry(portal: Portal, member_id: str, kind: str, action: str, actor: Actor, *,
                 target_id: str | None = None, data: dict[str, Any] | None = None) -> ChangeRequest:
    """Add, modify or remove an address or a contact, through validation unless configured immediate."""
    model, check, values_of = ENTRY_MODELS[kind]
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        before: dict[str, Any] = {}
        if action != "create":
            target = tx.session.get(model, target_id) if target_id else None
            if target is None or target.member_id != member_id:
                raise NotFound(target_id)
            before = values_of(target)
        after = check(data or {}) if action != "delete" else {}
        if kind == "address" and before.get("kind") == "principale" and after.get("kind") != "principale":
            others = tx.session.scalar(select(func.count()).select_from(Address).where(
                Address.member_id == member_id, Address.kind == "principale", Address.id != target_id))
            if not others:
                raise EntryRejected({"kind": "L'adresse principale ne peut pas être supprimée ni changer de type : "
                                             "ajoutez d'abord la nouvelle adresse principale."})
        pending = entry_needs_validation(kind, by_staff=actor.is_staff, immediate=portal.settings.immediate_fields)
        request = _new_request(member_id, kind, action, before, after, actor, target_id=target_id, pending=pending)
        if action == "create":
            request.target_id = str(uuid.uuid4())
        tx.session.add(request)
        if not pending:
            _record_all(tx, member_id, apply_change(tx.session, request))
        tx.commit()
        return request


def declare_situation(portal: Portal, member_id: str, data: dict[str, Any], actor: Actor) -> ChangeRequest:
    """A change of situation, processed by staff; billing and workforce react to the event."""
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        after = check_situation(data, today())
        before = {"kind": member.situation,
                  "effective_date": member.situation_date.isoformat() if member.situation_date else None}
        pending = entry_needs_validation("situation", by_staff=actor.is_staff, immediate=())
        request = _new_request(member_id, "situation", "create", before, after, actor, pending=pending)
        tx.session.add(request)
        if not pending:
            _record_all(tx, member_id, apply_change(tx.session, request))
        tx.commit()
        return request


def decide(portal: Portal, request_id: str, actor: Actor, *, approve: bool, reason: str | None = None) -> ChangeRequest:
    """Staff approve (the change applies and its event is published) or reject with a reason the member sees."""
    reason = (reason or "").strip() or None
    if not approve and not reason:
        raise FieldErrors({"reason": "Indiquez le motif du refus : il sera affiché au demandeur."})
    if reason and len(reason) > 500:
        raise FieldErrors({"reason": "Le motif ne doit pas dépasser 500 caractères."})
    with portal.uow() as tx:
        # The row lock makes a second, concurrent approval wait, then find the request decided.
        request = tx.session.get(ChangeRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound(request_id)
        check_decision(status=request.status, requested_by=request.requested_by, decided_by=actor.user_id)
        if approve and request.action != "create" and is_stale(request.before, current_values(tx.session, request)):
            raise DecisionRefused("Les données ont changé depuis cette demande : refusez-la, le demandeur pourra "
                                  "la refaire sur les données à jour.", 409)
        request.status = "approved" if approve else "rejected"
        request.decided_by, request.decided_by_name, request.decided_at = actor.user_id, actor.name, utcnow()
        request.reason = reason
        if approve:
            _record_all(tx, request.member_id, apply_change(tx.session, request))
        elif request.kind == "mandate" and request.target_id:
            mandate = tx.session.get(SepaMandate, request.target_id)
            if mandate is not None and mandate.status == "pending":
                mandate.status = "rejected"
        tx.commit()
        return request


def iban_cipher(portal: Portal) -> FieldCipher:
    return cipher_from_settings(portal.settings.iban_keys, portal.settings.internal_key)


def sign_mandate(portal: Portal, member_id: str, data: dict[str, Any], actor: Actor) -> SepaMandate:
    """The member signs a SEPA mandate; it is active once staff (another person) validate it."""
    mandate_data = check_mandate(data)
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        if tx.session.scalar(select(SepaMandate.id).where(SepaMandate.member_id == member_id,
                                                          SepaMandate.status == "pending")):
            raise FieldErrors({"iban": "Un mandat est déjà en attente de validation par le service."})
        count = tx.session.scalar(select(func.count()).select_from(SepaMandate)
                                  .where(SepaMandate.member_id == member_id)) or 0
        signed_on = today()
        iban = mandate_data["iban"]
        mandate = SepaMandate(
            id=str(uuid.uuid4()), member_id=member_id,
            reference=mandate_reference(member.member_number, signed_on, count + 1),
            iban_encrypted=iban_cipher(portal).encrypt(iban, context=member_id),
            iban_masked=masked_iban(iban[:2], iban[-4:]),
            bic=mandate_data["bic"], holder=mandate_data["holder"], email=mandate_data["email"], status="pending",
            signed_on=signed_on, signed_by=actor.user_id, version=0, created_at=utcnow())
        tx.session.add(mandate)
        active = tx.session.scalar(select(SepaMandate).where(SepaMandate.member_id == member_id,
                                                             SepaMandate.status == "active"))
        # The audit keeps the masked IBAN only: the full one lives encrypted in the mandate row.
        summary = {"reference": mandate.reference, "iban": mandate.iban_masked,
                   "bic": mandate.bic, "holder": mandate.holder, "email": mandate.email}
        before = ({"reference": active.reference, "iban": active.iban_masked, "bic": active.bic,
                   "holder": active.holder, "email": active.email} if active else {})
        tx.session.add(_new_request(member_id, "mandate", "create", before, summary, actor, target_id=mandate.id))
        tx.commit()
        return mandate


def revoke_mandate(portal: Portal, member_id: str, actor: Actor) -> SepaMandate:
    """The debtor's right: the active mandate ends at once; billing stops debiting on the event."""
    with portal.uow() as tx:
        mandate = tx.session.scalar(select(SepaMandate).where(SepaMandate.member_id == member_id,
                                                              SepaMandate.status == "active").with_for_update())
        if mandate is None:
            raise NotFound(member_id)
        mandate.status, mandate.revoked_on = "revoked", today()
        mandate.version = next_mandate_version(tx.session, member_id)
        tx.session.add(_new_request(member_id, "mandate", "delete", {"reference": mandate.reference}, {}, actor,
                                    target_id=mandate.id, pending=False))
        _record_all(tx, member_id, [mandate_event(mandate)])
        tx.commit()
        return mandate
