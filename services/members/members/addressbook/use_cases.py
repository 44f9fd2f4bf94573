"""Adding, changing or removing a company's addresses and contacts, through a change request."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from portal_common.service import Portal

from ..models import Address, Contact, Member
from ..record.rules import (
    Actor,
    AlreadyRecorded,
    ChangeAction,
    ChangeKind,
    NotFound,
    StaleVersion,
    entry_needs_validation,
)
from ..record.use_cases.applying import apply_change
from ..record.use_cases.audit import new_request, record_all, refuse_repeated_request
from ..record.use_cases.snapshots import address_values, contact_values
from .rules import AddressKind, EntryRejected, check_address, check_contact

ALREADY_PRESENT = {
    ChangeKind.ADDRESS: "Cette adresse figure déjà dans la fiche de l'entreprise.",
    ChangeKind.CONTACT: "Ce contact figure déjà dans la fiche de l'entreprise.",
}
ENTRY_MODELS = {
    ChangeKind.ADDRESS: (Address, check_address, address_values),
    ChangeKind.CONTACT: (Contact, check_contact, contact_values),
}


def change_entry(
    portal: Portal,
    member_id: str,
    kind: str,
    action: str,
    actor: Actor,
    *,
    target_id: str | None = None,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Any:
    """Add, modify or remove an address or a contact, through validation unless configured immediate.

    `expected_version` is the entry's version the caller read (If-Match, the form's hidden field): StaleVersion
    when it has another one now, checked under the company's row lock so the check and the write are one step."""
    model, check, values_of = ENTRY_MODELS[ChangeKind(kind)]
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        before: dict[str, Any] = {}
        if action != ChangeAction.CREATE:
            target = tx.session.get(model, target_id) if target_id else None
            if target is None or target.member_id != member_id:
                raise NotFound(target_id)
            if expected_version is not None and target.version != expected_version:
                raise StaleVersion(target.version)
            before = values_of(target)
        after = check(data or {}) if action != ChangeAction.DELETE else {}
        if (
            kind == ChangeKind.ADDRESS
            and before.get("kind") == AddressKind.MAIN
            and after.get("kind") != AddressKind.MAIN
        ):
            others = tx.session.scalar(
                select(func.count())
                .select_from(Address)
                .where(Address.member_id == member_id, Address.kind == AddressKind.MAIN, Address.id != target_id)
            )
            if not others:
                raise EntryRejected(
                    {
                        "kind": "L'adresse principale ne peut pas être supprimée ni changer de type : "
                        "ajoutez d'abord la nouvelle adresse principale."
                    }
                )
        if action == ChangeAction.CREATE:
            # The same entry sent twice (a double click, a retried call) is added once.
            for entry in tx.session.scalars(select(model).where(model.member_id == member_id)):
                if values_of(entry) == after:
                    raise AlreadyRecorded(entry.id, "kind", ALREADY_PRESENT[ChangeKind(kind)])
        pending = entry_needs_validation(kind, by_staff=actor.is_staff, immediate=portal.settings.immediate_fields)
        if pending:
            refuse_repeated_request(tx.session, member_id, kind, action, after, target_id=target_id)
        request = new_request(member_id, kind, action, before, after, actor, target_id=target_id, pending=pending)
        if action == ChangeAction.CREATE:
            request.target_id = str(uuid.uuid4())
        tx.session.add(request)
        if not pending:
            record_all(tx, member_id, apply_change(tx.session, request))
        tx.commit()
        return request
