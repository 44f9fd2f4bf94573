"""Use cases of the members service: the only place that commits."""
from __future__ import annotations

import hashlib
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal_common.clock import utcnow
from portal_common.errors import FieldErrors
from portal_common.passport import Principal
from portal_common.service import Portal

from . import events
from .addressbook import EntryRejected, check_address, check_contact
from .applying import (address_values, apply_change, contact_values, centre_values, current_values,
                       mandate_revoked_event, member_snapshot, next_mandate_version, record_values, registered_event)
from .changes import DecisionRefused, check_decision, entry_needs_validation, is_stale, split_record_change
from .crypto import FieldCipher, cipher_from_settings
from .declarant import code_digest, generate_code, normalise_code
from .domain import (UNIQUE_FIELDS, RecordConflict, Registration, check_record_change, check_registration,
                     next_member_number, today)
from .documents import Upload, check_upload
from .models import Address, Centre, ChangeRequest, Contact, Document, HealthTeam, Member, SepaMandate
from .naf import NAF_VERSION
from .sepa import check_mandate, mandate_reference, masked_iban
from .situations import check_situation
from .team import TEAM_FIELDS, check_centre, check_team


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

# Registrations are serialised (a transaction-scoped PostgreSQL advisory lock): the next free member number and
# the SIRET check are read and written by one registration at a time, never a duplicate-key error.
REGISTRATION_LOCK = 0x6D656D62  # "memb"


def _hold_registrations(session: Session) -> None:
    # SQLite (the embedded default) has no advisory locks, but it runs one writing transaction at a time anyway.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTRATION_LOCK})


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
                    member_number: str | None = None, actor: Actor = SYSTEM,
                    declarant_code: str | None = None) -> Member:
    """Staff register a member company; everyone else learns it from the event.

    A n° télédéclarant is generated (or given, for the demo data): kept encrypted for the welcome letter, and
    published only as a keyed digest."""
    with portal.uow() as tx:
        _hold_registrations(tx.session)
        taken = tx.session.scalar(select(Member.id).where(Member.siret == registration.siret.replace(" ", "")))
        reg = check_registration(registration, siret_taken=taken is not None)
        if member_number is None:
            member_number = next_member_number(tx.session.scalar(select(func.max(Member.member_number))))
        member = Member(
            id=member_id or str(uuid.uuid4()), member_number=member_number, name=reg.name, siret=reg.siret,
            naf_code=reg.naf_code, naf_version=NAF_VERSION if reg.naf_code else None, status="active",
            address_line1=reg.address_line1, address_line2=reg.address_line2, postal_code=reg.postal_code,
            city=reg.city, email=reg.email, phone=reg.phone, billing_email=reg.billing_email,
            adhesion_date=reg.adhesion_date, employees_followed=0, version=1, created_at=utcnow(),
        )
        set_declarant_code(portal, member, declarant_code or generate_code())
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
        member.version += 1
        tx.session.flush()
        tx.session.add(_new_request(member_id, "record", "update", {"declarant_code": "ancien"},
                                    {"declarant_code": "nouveau"}, actor, pending=False))
        tx.record(events.MEMBER_UPDATED, subject=member_id, member_id=member_id,
                  data=member_snapshot(tx.session, member))
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


def declare_situation(portal: Portal, member_id: str, data: dict[str, Any], actor: Actor, *,
                      attachment: tuple[str | None, bytes] | None = None) -> ChangeRequest:
    """A change of situation, processed by staff; billing and workforce react to the event.

    `attachment` (file name, content): the optional supporting document (a Kbis, a court decision), kept in the
    company's documents space."""
    errors: dict[str, str] = {}
    try:
        after = check_situation(data, today())
    except FieldErrors as exc:
        errors.update(exc.errors)
    upload = None
    if attachment is not None:
        try:
            upload = check_upload({"kind": "justificatif_situation"}, attachment[0], attachment[1], today())
        except FieldErrors as exc:
            errors["document"] = exc.errors.get("file", "Ce fichier n'est pas accepté.")
    if errors:
        raise FieldErrors(errors)
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        path = None
        if upload is not None:
            assert attachment is not None
            path = _add_upload(tx, portal, member_id, upload, attachment[1], actor)
            after = {**after, "document": upload.filename}
        before = {"kind": member.situation,
                  "effective_date": member.situation_date.isoformat() if member.situation_date else None}
        pending = entry_needs_validation("situation", by_staff=actor.is_staff, immediate=())
        request = _new_request(member_id, "situation", "create", before, after, actor, pending=pending,
                               target_id=path.name if path is not None else None)
        tx.session.add(request)
        if not pending:
            _record_all(tx, member_id, apply_change(tx.session, request))
        if path is not None:
            _commit_with_file(tx, path)
        else:
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
        if approve and request.kind == "record" and UNIQUE_FIELDS.keys() & request.after.keys():
            _refuse_taken_identity(tx.session, request.member_id, request.after)
        with _unique_identity(tx):
            request.status = "approved" if approve else "rejected"
            request.decided_by, request.decided_by_name, request.decided_at = actor.user_id, actor.name, utcnow()
            request.reason = reason
            if approve:
                _record_all(tx, request.member_id, apply_change(tx.session, request,
                                                                creditor_id=portal.settings.sepa_creditor_id))
            elif request.kind == "mandate" and request.target_id:
                mandate = tx.session.get(SepaMandate, request.target_id)
                if mandate is not None and mandate.status == "pending":
                    mandate.status = "rejected"
            tx.commit()
        return request


# The unique indexes of the member table and the record field each one guards.
UNIQUE_INDEXES = {"uq_member_siret": "siret", "uq_member_member_number": "member_number"}


def _refuse_taken_identity(session: Session, member_id: str, after: dict[str, Any]) -> None:
    """A SIRET or member number another company took since the request was made: refused before applying.

    Taken under the registration lock, so registrations and other approvals see this one's result."""
    _hold_registrations(session)
    taken = {name: message for name, message in UNIQUE_FIELDS.items() if name in after and session.scalar(
        select(Member.id).where(getattr(Member, name) == after[name], Member.id != member_id)) is not None}
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
        _record_all(tx, member_id, [mandate_revoked_event(mandate)])
        tx.commit()
        return mandate


# --- documents space --------------------------------------------------------------------------------------

def upload_dir(portal: Portal) -> Path:
    """Outside the web root: the service's data directory (PORTAL_DATA_DIR/members/uploads)."""
    return Path(portal.settings.data_dir).resolve() / "members" / "uploads"


def document_path(portal: Portal, document: Document) -> Path:
    return upload_dir(portal) / document.member_id / document.id


def _add_upload(tx: Any, portal: Portal, member_id: str, upload: Upload, content: bytes, actor: Actor) -> Path:
    """The document row, its audit entry and its file (written now: the caller commits, or removes it)."""
    document_id = str(uuid.uuid4())
    document = Document(
        id=document_id, member_id=member_id, source="upload", source_id=document_id, kind=upload.kind,
        title=upload.title, issued_on=upload.issued_on, download_path=None, filename=upload.filename,
        content_type=upload.file_type.content_type, size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(), uploaded_by=actor.user_id, uploaded_by_name=actor.name,
        created_at=utcnow())
    tx.session.add(document)
    tx.session.add(_new_request(member_id, "document", "create", {},
                                {"title": upload.title, "filename": upload.filename}, actor,
                                target_id=document_id, pending=False))
    path = document_path(portal, document)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".part")
    try:
        partial.write_bytes(content)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def _commit_with_file(tx: Any, path: Path) -> None:
    try:
        tx.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def upload_document(portal: Portal, member_id: str, data: dict[str, Any], filename: str | None,
                    content: bytes | None, actor: Actor) -> Document:
    """A file the company deposits (e.g. its DUERP): checked by content, stored outside the web root, audited."""
    upload = check_upload(data, filename, content, today())
    assert content is not None
    with portal.uow() as tx:
        if tx.session.get(Member, member_id) is None:
            raise NotFound(member_id)
        path = _add_upload(tx, portal, member_id, upload, content, actor)
        _commit_with_file(tx, path)
        return tx.session.get(Document, path.name)


def delete_document(portal: Portal, member_id: str, document_id: str, actor: Actor) -> None:
    """Only files the company deposited can be removed (the others belong to their service)."""
    with portal.uow() as tx:
        document = tx.session.get(Document, document_id, with_for_update=True)
        if document is None or document.member_id != member_id or document.source != "upload":
            raise NotFound(document_id)
        path = document_path(portal, document)
        tx.session.add(_new_request(member_id, "document", "delete",
                                    {"title": document.title, "filename": document.filename}, {}, actor,
                                    target_id=document_id, pending=False))
        tx.session.delete(document)
        tx.commit()
    path.unlink(missing_ok=True)


def record_produced_document(session: Session, *, source: str, source_id: str, member_id: str, kind: str,
                             title: str, issued_on: date, download_path: str) -> None:
    """A document another service produced for a company, learnt from its event (idempotent, no commit:
    the consumer's transaction)."""
    if session.get(Member, member_id) is None:
        return  # a company this service does not know (yet): nothing to list
    existing = session.scalar(select(Document).where(Document.source == source, Document.source_id == source_id))
    if existing is None:
        session.add(Document(id=str(uuid.uuid4()), member_id=member_id, source=source, source_id=source_id,
                             kind=kind, title=title, issued_on=issued_on, download_path=download_path,
                             created_at=utcnow()))
    else:
        existing.kind, existing.title, existing.issued_on = kind, title, issued_on
        existing.download_path = download_path


# --- health team and centres ------------------------------------------------------------------------------

def _publish_snapshot(tx: Any, member: Member) -> None:
    member.version += 1
    tx.session.flush()
    tx.record(events.MEMBER_UPDATED, subject=member.id, member_id=member.id,
              data=member_snapshot(tx.session, member))


def save_centre(portal: Portal, centre_id: str | None, data: dict[str, Any], *, new_id: str | None = None) -> Centre:
    """Create (centre_id None) or change a centre; the companies it follows get a new snapshot (scheduling
    prints it)."""
    values = check_centre(data)
    with portal.uow() as tx:
        if centre_id is None:
            centre = Centre(id=new_id or str(uuid.uuid4()), created_at=utcnow(), **values)
            tx.session.add(centre)
        else:
            centre = tx.session.get(Centre, centre_id, with_for_update=True)
            if centre is None:
                raise NotFound(centre_id)
            changed = centre_values(centre) != values
            for name, value in values.items():
                setattr(centre, name, value)
            if changed:
                tx.session.flush()
                followed = tx.session.scalars(select(Member).join(HealthTeam, HealthTeam.member_id == Member.id)
                                              .where(HealthTeam.centre_id == centre_id).with_for_update())
                for member in followed:
                    _publish_snapshot(tx, member)
        tx.commit()
        return centre


def team_values(team: HealthTeam | None) -> dict[str, Any]:
    return {name: getattr(team, name) if team is not None else None for name in TEAM_FIELDS}


def assign_team(portal: Portal, member_id: str, data: dict[str, Any], actor: Actor) -> HealthTeam:
    """Staff assign the centre and the people following a company: audited; a new centre is published."""
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        centre_id = str(data.get("centre_id") or "").strip()
        values = check_team(data, centre_exists=bool(centre_id) and tx.session.get(Centre, centre_id) is not None)
        team = tx.session.get(HealthTeam, member_id)
        before = team_values(team)
        if team is None:
            team = HealthTeam(member_id=member_id)
            tx.session.add(team)
        for name, value in values.items():
            setattr(team, name, value)
        team.updated_by_name, team.updated_at = actor.name, utcnow()
        changed = {k: v for k, v in values.items() if before[k] != v}
        if changed:
            def shown(name: str, value: Any) -> tuple[str, Any]:  # the audit names the centre, not its id
                if name != "centre_id":
                    return name, value
                centre = tx.session.get(Centre, value) if value else None
                return "centre", centre.name if centre is not None else None
            tx.session.add(_new_request(member_id, "team", "update", dict(shown(k, before[k]) for k in changed),
                                        dict(shown(k, v) for k, v in changed.items()), actor, pending=False))
        if "centre_id" in changed:
            _publish_snapshot(tx, member)
        tx.commit()
        return team
