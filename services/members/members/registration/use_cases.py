"""Staff register member companies; the n° télédéclarant that opens their first account."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from portal_common.clock import utcnow
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal
from portal_common.vocabulary import MemberStatus

from ..addressbook.rules import AddressKind
from ..models import Address, Member
from ..record.naf import NAF_VERSION
from ..record.rules import SYSTEM, Actor, ChangeAction, ChangeKind, NotFound
from ..record.use_cases.audit import new_request
from ..record.use_cases.changes import hold_registrations
from ..record.use_cases.snapshots import member_snapshot, record_values, registered_event
from ..sepa.use_cases import iban_cipher
from .declarant import code_digest, generate_code, normalise_code
from .rules import Registration, check_registration, next_member_number


def register_member(
    portal: Portal,
    registration: Registration,
    *,
    member_id: str | None = None,
    member_number: str | None = None,
    actor: Actor = SYSTEM,
    declarant_code: str | None = None,
) -> Member:
    """Staff register a member company; everyone else learns it from the event.

    A n° télédéclarant is generated (or given, for the demo data): kept encrypted for the welcome letter, and
    published only as a keyed digest."""
    with portal.uow() as tx:
        hold_registrations(tx.session)
        taken = tx.session.scalar(select(Member.id).where(Member.siret == registration.siret.replace(" ", "")))
        reg = check_registration(registration, siret_taken=taken is not None, siret_holder=taken)
        if member_number is None:
            member_number = next_member_number(tx.session.scalar(select(func.max(Member.member_number))))
        member = Member(
            id=member_id or str(uuid.uuid4()),
            member_number=member_number,
            name=reg.name,
            siret=reg.siret,
            naf_code=reg.naf_code,
            naf_version=NAF_VERSION if reg.naf_code else None,
            status=MemberStatus.ACTIVE,
            address_line1=reg.address_line1,
            address_line2=reg.address_line2,
            postal_code=reg.postal_code,
            city=reg.city,
            email=reg.email,
            phone=reg.phone,
            billing_email=reg.billing_email,
            adhesion_date=reg.adhesion_date,
            employees_followed=0,
            created_at=utcnow(),
        )
        set_declarant_code(portal, member, declarant_code or generate_code())
        tx.session.add(member)
        tx.session.flush()  # the member row first (version 1): the address and the audit entry refer to it
        tx.session.add(
            Address(
                id=str(uuid.uuid4()),
                member_id=member.id,
                kind=AddressKind.MAIN,
                line1=reg.address_line1,
                line2=reg.address_line2,
                postal_code=reg.postal_code,
                city=reg.city,
                valid_from=reg.adhesion_date,
                valid_to=None,
                created_at=utcnow(),
            )
        )
        tx.session.flush()
        tx.session.add(
            new_request(
                member.id, ChangeKind.RECORD, ChangeAction.CREATE, {}, record_values(member), actor, pending=False
            )
        )
        tx.record(
            EventType.MEMBERS_MEMBER_REGISTERED, subject=member.id, member_id=member.id, data=registered_event(member)
        )
        tx.commit()
        return member


def set_declarant_code(portal: Portal, member: Member, code: str) -> None:
    code = normalise_code(code)
    member.declarant_code_encrypted = iban_cipher(portal).encrypt(code, context=f"declarant:{member.id}")
    member.declarant_code_digest = code_digest(portal.settings.internal_key, code)


def declarant_code(portal: Portal, member: Member) -> str | None:
    """The clear code, for the welcome letter only (never a page, a log or an event)."""
    if not member.declarant_code_encrypted:
        return None
    return iban_cipher(portal).decrypt(member.declarant_code_encrypted, context=f"declarant:{member.id}")


def renew_declarant_code(portal: Portal, member_id: str, actor: Actor) -> Member:
    """A new n° télédéclarant (the old letter was lost): audited, the new digest published."""
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        set_declarant_code(portal, member, generate_code())
        tx.session.flush()  # a new version of the member (its version counter)
        tx.session.add(
            new_request(
                member_id,
                ChangeKind.RECORD,
                ChangeAction.UPDATE,
                {"declarant_code": "ancien"},
                {"declarant_code": "nouveau"},
                actor,
                pending=False,
            )
        )
        tx.record(
            EventType.MEMBERS_MEMBER_UPDATED,
            subject=member_id,
            member_id=member_id,
            data=member_snapshot(tx.session, member),
        )
        tx.commit()
        return member
