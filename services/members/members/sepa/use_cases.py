"""The SEPA mandate: signed by the company, activated by staff's validation, revoked by the company."""

from __future__ import annotations

import binascii
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.errors import Conflict
from portal_common.keyring import Rotation
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ..models import ChangeRequest, Member, SepaMandate
from ..record.rules import Actor, ChangeAction, ChangeKind, NotFound
from ..record.use_cases.audit import new_request, record_all
from .cipher import FieldCipher, cipher_from_settings
from .rules import MandateStatus, check_mandate, mandate_reference, masked_iban

Event = tuple[str, dict[str, Any]]


def iban_cipher(portal: Portal) -> FieldCipher:
    return cipher_from_settings(portal.settings.iban_keys, portal.settings.internal_key)


def next_mandate_version(session: Session, member_id: str) -> int:
    """Mandate events are versioned per member: billing keeps one mandate state per company."""
    highest = session.scalar(select(func.max(SepaMandate.version)).where(SepaMandate.member_id == member_id))
    return (highest or 0) + 1


def mandate_signed_event(mandate: SepaMandate, creditor_id: str, replaced: str | None) -> Event:
    return EventType.MEMBERS_SEPA_MANDATE_SIGNED, {
        "member_id": mandate.member_id,
        "mandate_reference": mandate.reference,
        "creditor_id": creditor_id,
        "signed_on": mandate.signed_on.isoformat(),
        "replaced_reference": replaced,
        "version": mandate.version,
    }


def mandate_revoked_event(mandate: SepaMandate) -> Event:
    return EventType.MEMBERS_SEPA_MANDATE_REVOKED, {
        "member_id": mandate.member_id,
        "mandate_reference": mandate.reference,
        "revoked_on": mandate.revoked_on.isoformat(),
        "version": mandate.version,
    }


def activate_mandate(session: Session, request: ChangeRequest, creditor_id: str) -> list[Event]:
    """Staff validated the signature: the mandate replaces the active one (no commit here: `decide` does)."""
    mandate = session.get(SepaMandate, request.target_id)
    if mandate is None or mandate.status != MandateStatus.PENDING:
        return []
    replaced = None
    for previous in session.scalars(
        select(SepaMandate).where(
            SepaMandate.member_id == request.member_id, SepaMandate.status == MandateStatus.ACTIVE
        )
    ):
        previous.status, previous.revoked_on = MandateStatus.REVOKED, today()  # replaced by the new one
        replaced = previous.reference
    mandate.status = MandateStatus.ACTIVE
    mandate.version = next_mandate_version(session, request.member_id)
    session.flush()
    return [mandate_signed_event(mandate, creditor_id, replaced)]


def sign_mandate(portal: Portal, member_id: str, data: dict[str, Any], actor: Actor) -> SepaMandate:
    """The member signs a SEPA mandate; it is active once staff (another person) validate it."""
    mandate_data = check_mandate(data)
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        waiting = tx.session.scalar(
            select(SepaMandate.id).where(
                SepaMandate.member_id == member_id, SepaMandate.status == MandateStatus.PENDING
            )
        )
        if waiting:  # a mandate signed twice (a double click, a retried call) is one mandate
            raise Conflict(
                {"iban": "Un mandat est déjà en attente de validation par le service."},
                existing_id=waiting,
                reason="mandate_already_pending",
            )
        count = (
            tx.session.scalar(select(func.count()).select_from(SepaMandate).where(SepaMandate.member_id == member_id))
            or 0
        )
        signed_on = today()
        iban = mandate_data["iban"]
        mandate = SepaMandate(
            id=str(uuid.uuid4()),
            member_id=member_id,
            reference=mandate_reference(member.member_number, signed_on, count + 1),
            iban_encrypted=iban_cipher(portal).encrypt(iban, context=member_id),
            iban_masked=masked_iban(iban[:2], iban[-4:]),
            bic=mandate_data["bic"],
            holder=mandate_data["holder"],
            email=mandate_data["email"],
            status=MandateStatus.PENDING,
            signed_on=signed_on,
            signed_by=actor.user_id,
            version=0,
            created_at=utcnow(),
        )
        tx.session.add(mandate)
        active = tx.session.scalar(
            select(SepaMandate).where(SepaMandate.member_id == member_id, SepaMandate.status == MandateStatus.ACTIVE)
        )
        # The audit keeps the masked IBAN only: the full one lives encrypted in the mandate row.
        summary = {
            "reference": mandate.reference,
            "iban": mandate.iban_masked,
            "bic": mandate.bic,
            "holder": mandate.holder,
            "email": mandate.email,
        }
        before = (
            {
                "reference": active.reference,
                "iban": active.iban_masked,
                "bic": active.bic,
                "holder": active.holder,
                "email": active.email,
            }
            if active
            else {}
        )
        tx.session.add(
            new_request(
                member_id, ChangeKind.MANDATE, ChangeAction.CREATE, before, summary, actor, target_id=mandate.id
            )
        )
        tx.commit()
        return mandate


def revoke_mandate(portal: Portal, member_id: str, actor: Actor) -> SepaMandate:
    """The debtor's right: the active mandate ends at once; billing stops debiting on the event."""
    with portal.uow() as tx:
        mandate = tx.session.scalar(
            select(SepaMandate)
            .where(SepaMandate.member_id == member_id, SepaMandate.status == MandateStatus.ACTIVE)
            .with_for_update()
        )
        if mandate is None:
            raise NotFound(member_id)
        mandate.status, mandate.revoked_on = MandateStatus.REVOKED, today()
        mandate.version = next_mandate_version(tx.session, member_id)
        tx.session.add(
            new_request(
                member_id,
                ChangeKind.MANDATE,
                ChangeAction.DELETE,
                {"reference": mandate.reference},
                {},
                actor,
                target_id=mandate.id,
                pending=False,
            )
        )
        record_all(tx, member_id, [mandate_revoked_event(mandate)])
        tx.commit()
        return mandate


def rotate_sealed_values(portal: Portal) -> Rotation:
    """Re-seal with the ring's current key every IBAN and n° télédéclarant sealed with an older one (MEMBERS_IBAN_KEYS).

    Each value is replaced only if it is still the one read (compare-and-set: a mandate signed meanwhile wins) and
    without touching the row's version (the clear value is unchanged). A value no key opens is counted and kept.
    A second run changes nothing.
    """
    cipher = iban_cipher(portal)
    checked = rotated = unreadable = 0
    with portal.uow() as tx:
        sealed: list[tuple[Any, Any, str, str]] = [
            (SepaMandate, SepaMandate.iban_encrypted, row_id, value)
            for row_id, value in tx.session.execute(select(SepaMandate.id, SepaMandate.iban_encrypted)).all()
        ] + [
            (Member, Member.declarant_code_encrypted, row_id, value)
            for row_id, value in tx.session.execute(
                select(Member.id, Member.declarant_code_encrypted).where(Member.declarant_code_encrypted.is_not(None))
            ).all()
        ]
        contexts = dict(tx.session.execute(select(SepaMandate.id, SepaMandate.member_id)).all())
        for model, column, row_id, value in sealed:
            checked += 1
            if not cipher.needs_rotation(value):
                continue
            context = contexts[row_id] if model is SepaMandate else f"declarant:{row_id}"
            try:
                clear = cipher.decrypt(value, context=context)
            except (KeyError, InvalidTag, ValueError, binascii.Error):
                unreadable += 1
                continue
            tx.session.execute(
                update(model)
                .where(model.id == row_id, column == value)
                .values({column: cipher.encrypt(clear, context=context)})
                .execution_options(synchronize_session=False)
            )
            rotated += 1
        tx.commit()
    return Rotation(checked, rotated, unreadable)
