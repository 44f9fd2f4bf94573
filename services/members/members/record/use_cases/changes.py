"""Record edits and staff's decisions on change requests: the use cases that commit them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal_common.clock import utcnow
from portal_common.db import UnitOfWork
from portal_common.errors import FieldErrors
from portal_common.input_rules import repaired_all
from portal_common.service import Portal

from ...models import ChangeRequest, Member, SepaMandate
from ...sepa.rules import MandateStatus
from ..clients import CHANGE_REQUESTS, mail_recipients
from ..mails import change_decided
from ..rules import (
    ACTIONS,
    ALREADY_DECIDED,
    KINDS,
    UNIQUE_FIELDS,
    Actor,
    ChangeAction,
    ChangeKind,
    ChangeStatus,
    DecisionRefused,
    NotFound,
    RecordConflict,
    StaleVersion,
    check_decision,
    check_record_change,
    is_stale,
    split_record_change,
)
from .applying import apply_change, current_values
from .audit import new_request, record_all, refuse_repeated_request
from .snapshots import record_values

# Registrations are serialised (a transaction-scoped PostgreSQL advisory lock): the next free member number and
# the SIRET check are read and written by one registration at a time, never a duplicate-key error.
REGISTRATION_LOCK = 0x6D656D62  # "memb"
STALE_REQUEST = (
    "Les données ont changé depuis cette demande : refusez-la, le demandeur pourra la refaire sur les données à jour."
)


def hold_registrations(session: Session) -> None:
    # SQLite (the embedded default) has no advisory locks, but it runs one writing transaction at a time anyway.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTRATION_LOCK})


def change_record(
    portal: Portal,
    member_id: str,
    proposed: dict[str, Any],
    actor: Actor,
    *,
    expected_version: int | None = None,
) -> list[ChangeRequest]:
    """A record edit: fields configured immediate (or edited by staff) apply now, the others wait.
    `expected_version` (If-Match, the form's hidden version) is compared under the row lock: StaleVersion when
    someone saved the record since it was read, nothing written."""
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        if expected_version is not None and member.version != expected_version:
            raise StaleVersion(member.version)
        current = record_values(member)
        siret_taken = (
            "siret" in proposed
            and tx.session.scalar(
                select(Member.id).where(Member.siret == str(proposed["siret"]).replace(" ", ""), Member.id != member_id)
            )
            is not None
        )
        number_taken = (
            "member_number" in proposed
            and tx.session.scalar(
                select(Member.id).where(
                    Member.member_number == str(proposed["member_number"]).strip(), Member.id != member_id
                )
            )
            is not None
        )
        changed = check_record_change(
            current, proposed, by_staff=actor.is_staff, siret_taken=siret_taken, number_taken=number_taken
        )
        changed = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in changed.items()}
        at_once, waiting = split_record_change(
            changed, by_staff=actor.is_staff, immediate=portal.settings.immediate_fields
        )
        if waiting:  # the same edit sent twice waits once
            refuse_repeated_request(
                tx.session, member_id, ChangeKind.RECORD, ChangeAction.UPDATE, waiting, field=min(waiting)
            )
        created = []
        if at_once:
            request = new_request(
                member_id,
                ChangeKind.RECORD,
                ChangeAction.UPDATE,
                {k: current[k] for k in at_once},
                at_once,
                actor,
                pending=False,
            )
            tx.session.add(request)
            record_all(tx, member_id, apply_change(tx.session, request))
            created.append(request)
        if waiting:
            request = new_request(
                member_id, ChangeKind.RECORD, ChangeAction.UPDATE, {k: current[k] for k in waiting}, waiting, actor
            )
            tx.session.add(request)
            created.append(request)
        tx.commit()
        return created


def decide(portal: Portal, request_id: str, actor: Actor, *, approve: bool, reason: str | None = None) -> ChangeRequest:
    """Staff approve (the change applies and its event is published) or reject with a reason the member sees."""
    reason = (reason or "").strip() or None
    if not approve and not reason:
        raise FieldErrors({"reason": "Indiquez le motif du refus : il sera affiché au demandeur."})
    if reason and len(reason) > 500:
        raise FieldErrors({"reason": "Le motif ne doit pas dépasser 500 caractères."})
    # Who to tell is asked of identity before the row is locked (never a network call under a lock).
    recipients = _requester_mail(portal, request_id)
    with portal.uow() as tx:
        # The row lock makes a second, concurrent approval wait, then find the request decided.
        request = tx.session.get(ChangeRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound(request_id)
        check_decision(status=request.status, requested_by=request.requested_by, decided_by=actor.user_id)
        if approve and request.kind != ChangeKind.MANDATE:
            # Approvals of two requests of one company take turns: each applies to the other's result and
            # versions the member once (FOR NO KEY UPDATE, the lock the UPDATE takes anyway).
            tx.session.get(Member, request.member_id, with_for_update={"key_share": True})
        if (
            approve
            and request.action != ChangeAction.CREATE
            and is_stale(request.before, current_values(tx.session, request))
        ):
            raise DecisionRefused(STALE_REQUEST, 409)
        if approve:
            # A value stored before the input boundary existed (a lone surrogate in a contact's name) is applied
            # as the queue showed it, and the audit trail keeps what was applied.
            request.after = repaired_all(request.after)
        if approve and request.kind == ChangeKind.RECORD and UNIQUE_FIELDS.keys() & request.after.keys():
            _refuse_taken_identity(tx.session, request.member_id, request.after)
        with _unique_identity(tx), _stale_member(tx):
            request.status = _claim_pending(tx.session, request.id, approve=approve)
            request.decided_by, request.decided_by_name, request.decided_at = actor.user_id, actor.name, utcnow()
            request.reason = reason
            if approve:
                record_all(
                    tx,
                    request.member_id,
                    apply_change(tx.session, request, creditor_id=portal.settings.sepa_creditor_id),
                )
            elif request.kind == ChangeKind.MANDATE and request.target_id:
                mandate = tx.session.get(SepaMandate, request.target_id)
                if mandate is not None and mandate.status == MandateStatus.PENDING:
                    mandate.status = MandateStatus.REJECTED
            _tell_requester(tx, portal, request, recipients)
            tx.commit()
        return request


def _requester_mail(portal: Portal, request_id: str) -> dict[str, str]:
    """The requester's address if he accepts news of his requests (a member's user; staff see the queue)."""
    with portal.db.session_factory() as db:
        request = db.get(ChangeRequest, request_id)
        if request is None or request.requested_by_staff or request.status != ChangeStatus.PENDING:
            return {}
        requester = request.requested_by
    return mail_recipients(portal, [requester], CHANGE_REQUESTS)


def _tell_requester(tx: UnitOfWork, portal: Portal, request: ChangeRequest, recipients: dict[str, str]) -> None:
    email = recipients.get(request.requested_by)
    if email is None:
        return
    member = tx.session.get(Member, request.member_id)
    tx.mail(
        change_decided(
            email,
            company=member.name if member is not None else "votre entreprise",
            what=f"{ACTIONS.get(request.action, '')} — {KINDS.get(request.kind, '')}".strip(" —"),
            approved=request.status == ChangeStatus.APPROVED,
            reason=request.reason,
            public_url=portal.settings.public_url,
            key=f"change-decided:{request.id}",
        )
    )


def _claim_pending(session: Session, request_id: str, *, approve: bool) -> ChangeStatus:
    """A decision is one conditional update: whatever the engine's locking, a second decision of the same
    request (approve and reject at once) finds it decided and gets the French 409."""
    decided = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    claimed = session.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == request_id, ChangeRequest.status == ChangeStatus.PENDING)
        .values(status=decided)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise DecisionRefused(ALREADY_DECIDED, 409)
    return decided


# The unique indexes of the member table and the record field each one guards.
UNIQUE_INDEXES = {"uq_member_siret": "siret", "uq_member_member_number": "member_number"}


def _refuse_taken_identity(session: Session, member_id: str, after: dict[str, Any]) -> None:
    """A SIRET or member number another company took since the request was made: refused before applying.

    Taken under the registration lock, so registrations and other approvals see this one's result."""
    hold_registrations(session)
    taken = {
        name: message
        for name, message in UNIQUE_FIELDS.items()
        if name in after
        and session.scalar(select(Member.id).where(getattr(Member, name) == after[name], Member.id != member_id))
        is not None
    }
    if taken:
        raise RecordConflict(taken)


def _duplicated_field(exc: IntegrityError) -> str | None:
    """The record field whose unique index refused the write, None for any other integrity error."""
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)  # PostgreSQL (psycopg)
    if constraint is not None:
        return UNIQUE_INDEXES.get(constraint)
    text_of = str(exc.orig)  # SQLite names the column instead
    return next((name for name in UNIQUE_FIELDS if f"UNIQUE constraint failed: member.{name}" in text_of), None)


@contextmanager
def _unique_identity(tx: Any) -> Iterator[None]:
    """A concurrent writer got the same SIRET or member number in first: the unique index refuses ours. Rolled
    back whole and answered with the duplicate check's French message, never a server error."""
    try:
        yield
    except IntegrityError as exc:
        name = _duplicated_field(exc)
        if name is None:
            raise
        tx.rollback()
        raise RecordConflict({name: UNIQUE_FIELDS[name]}) from None


@contextmanager
def _stale_member(tx: Any) -> Iterator[None]:
    """The member's version moved under this approval (its version counter refused the UPDATE): rolled back and
    refused as a stale request, never a server error."""
    try:
        yield
    except StaleDataError:
        tx.rollback()
        raise DecisionRefused(STALE_REQUEST, 409) from None
