"""Rules of the company record and of its change requests (the audit trail): who may change which field,
what waits for a second person, who may decide. Pure: no Flask, no SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from portal_common.errors import Conflict, FieldErrors
from portal_common.passport import Principal
from portal_common.validators import compact, is_valid_member_number, is_valid_siret, siren_of
from portal_common.vocabulary import MEMBER_STATUS_LABELS

from .fields import VAT_RE, check_email, check_naf, check_phone, check_vat, clean

STATUSES = MEMBER_STATUS_LABELS


class ChangeKind(StrEnum):
    """What a change request is about."""

    RECORD = "record"
    ADDRESS = "address"
    CONTACT = "contact"
    SITUATION = "situation"
    MANDATE = "mandate"
    DOCUMENT = "document"
    TEAM = "team"


class ChangeAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class ChangeStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"  # applied at once, without validation


KINDS = {
    ChangeKind.RECORD: "Fiche adhérent",
    ChangeKind.ADDRESS: "Adresse",
    ChangeKind.CONTACT: "Contact",
    ChangeKind.SITUATION: "Changement de situation",
    ChangeKind.MANDATE: "Mandat de prélèvement SEPA",
    ChangeKind.DOCUMENT: "Document déposé",
    ChangeKind.TEAM: "Équipe santé",
}
ACTIONS = {ChangeAction.CREATE: "Ajout", ChangeAction.UPDATE: "Modification", ChangeAction.DELETE: "Suppression"}
CHANGE_STATUSES = {
    ChangeStatus.PENDING: "En attente de validation",
    ChangeStatus.APPROVED: "Validée",
    ChangeStatus.REJECTED: "Refusée",
    ChangeStatus.APPLIED: "Appliquée immédiatement",
}
# Never applied without a second person, whatever the configuration says (docs/security.md AZ-07).
ALWAYS_VALIDATED = frozenset({ChangeKind.SITUATION, ChangeKind.MANDATE})

# Fields of the record: who may change them, and which staff changes need a second person
# (docs/security.md AZ-07).
MEMBER_FIELDS = ("naf_code", "vat_number", "activity", "phone", "mobile", "fax", "email", "billing_email")
STAFF_ONLY_FIELDS = ("name", "siret", "member_number", "adhesion_date", "status")
FOUR_EYES_FIELDS = frozenset({"name", "siret", "member_number"})
RECORD_FIELDS = MEMBER_FIELDS + STAFF_ONLY_FIELDS
STAFF_ONLY_MESSAGE = "Ce champ ne peut être modifié que par le service : contactez-le."
SIRET_TAKEN = "Un adhérent existe déjà avec ce SIRET."
NUMBER_TAKEN = "Ce numéro d'adhérent est déjà attribué."
# The record fields no two companies may share (a unique index each).
UNIQUE_FIELDS = {"siret": SIRET_TAKEN, "member_number": NUMBER_TAKEN}


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as written in the audit trail."""

    user_id: str
    name: str
    is_staff: bool

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.user_id, principal.display_name, principal.is_staff)


SYSTEM = Actor("system", "Reprise des données", True)


class NotFound(LookupError):
    """The object does not exist for this company (another company's id included)."""


class StaleVersion(Exception):
    """A change based on a version of a row that someone else has changed since it was read (If-Match, the
    form's hidden version): nothing written; 412 on the API, both versions side by side on the page."""

    def __init__(self, current_version: int):
        super().__init__(f"changed since the version read (now {current_version})")
        self.current_version = current_version


class RecordRejected(FieldErrors):
    """A record change the rules refuse, with French messages per field."""


class RecordConflict(RecordRejected):
    """A SIRET or member number another company holds by the time the change applies (HTTP 409)."""


class ChangeAlreadyRequested(Conflict):
    """The same change, or another one on the same address or contact, already waits for staff (HTTP 409): a
    form sent twice or a retried call makes one request (docs/architecture.md, "Concurrency and retries")."""

    reason = "change_already_requested"
    MESSAGE = "Une demande identique attend déjà la validation du service : elle n'a pas été envoyée une seconde fois."
    SAME_TARGET = (
        "Une autre demande sur cette fiche attend déjà la validation du service : attendez sa décision avant "
        "d'en envoyer une nouvelle."
    )

    def __init__(self, existing_id: str, *, same_target: bool = False, field: str = "kind"):
        super().__init__({field: self.SAME_TARGET if same_target else self.MESSAGE}, existing_id=existing_id)


class AlreadyRecorded(Conflict):
    """What is asked is already the company's record (an address or contact present, the situation in force):
    applying it again would change nothing but the history (HTTP 409)."""

    reason = "already_recorded"

    def __init__(self, existing_id: str | None, field: str, message: str):
        super().__init__({field: message}, existing_id=existing_id)


class DecisionRefused(Exception):
    """A decision the rules forbid; `status` is the HTTP answer (403 self-validation, 409 already decided)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def check_record_change(
    current: dict[str, Any],
    proposed: dict[str, Any],
    *,
    by_staff: bool,
    siret_taken: bool = False,
    number_taken: bool = False,
) -> dict[str, Any]:
    """The fields that really change, normalised; RecordRejected lists every problem.

    `current` and `proposed` map record field names to values; absent fields are left alone.
    """
    errors: dict[str, str] = {}
    unknown = set(proposed) - set(RECORD_FIELDS)
    for name in sorted(unknown):
        errors[name] = "Champ inconnu."
    if not by_staff:
        for name in STAFF_ONLY_FIELDS:
            if name in proposed and clean(proposed[name]) != clean(current.get(name)):
                errors[name] = STAFF_ONLY_MESSAGE
    siret = compact(proposed.get("siret") or current["siret"])
    values: dict[str, Any] = {}
    for name, raw in proposed.items():
        if name in unknown or name in errors:
            continue
        if name == "naf_code":
            values[name] = check_naf(raw, errors)
        elif name == "vat_number":
            values[name] = check_vat(raw, siren_of(siret), errors)
        elif name in {"phone", "mobile", "fax"}:
            values[name] = check_phone(raw, name, errors)
        elif name in {"email", "billing_email"}:
            values[name] = check_email(raw, name, errors)
        elif name == "activity":
            values[name] = clean(raw)
            if values[name] and len(values[name]) > 200:
                errors[name] = "L'activité ne doit pas dépasser 200 caractères."
        elif name == "name":
            values[name] = clean(raw)
            if not values[name] or len(values[name]) > 200:
                errors[name] = "La raison sociale est obligatoire (200 caractères au plus)."
        elif name == "siret":
            values[name] = compact(raw or "")
            if not is_valid_siret(values[name]):
                errors[name] = "Le SIRET doit comporter 14 chiffres et être valide."
            elif siret_taken and values[name] != current["siret"]:
                errors[name] = SIRET_TAKEN
        elif name == "member_number":
            values[name] = clean(raw) or ""
            if not is_valid_member_number(values[name]):
                errors[name] = "Le numéro d'adhérent comporte 7 chiffres."
            elif number_taken and values[name] != current["member_number"]:
                errors[name] = NUMBER_TAKEN
        elif name == "adhesion_date":
            values[name] = raw if isinstance(raw, date) else None
            if values[name] is None:
                errors[name] = "La date d'adhésion est obligatoire (jj/mm/aaaa)."
        elif name == "status":
            values[name] = clean(raw)
            if values[name] not in STATUSES:
                errors[name] = "Statut inconnu."
    if errors:
        raise RecordRejected(errors)
    changed = {name: value for name, value in values.items() if value != current.get(name)}
    if "vat_number" in changed or "siret" in changed:
        vat = changed.get("vat_number", current.get("vat_number"))
        if vat and VAT_RE.match(vat) and vat[4:] != siren_of(siret):
            raise RecordRejected({"vat_number": "Le numéro de TVA ne correspond pas au SIREN de l'entreprise."})
    return changed


def split_record_change(
    changed: dict[str, Any], *, by_staff: bool, immediate: Iterable[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(applied at once, waiting for validation): staff wait only for identity fields, members for all
    fields not configured as immediate."""
    at_once: dict[str, Any] = {}
    waiting: dict[str, Any] = {}
    immediate = frozenset(immediate)
    for name, value in changed.items():
        needs = name in FOUR_EYES_FIELDS if by_staff else name not in immediate
        (waiting if needs else at_once)[name] = value
    return at_once, waiting


def entry_needs_validation(kind: str, *, by_staff: bool, immediate: Iterable[str]) -> bool:
    """Addresses and contacts: members wait unless configured immediate; situations and mandates always wait
    when a member asks (staff processing a declaration is the validation)."""
    if by_staff:
        return kind == ChangeKind.MANDATE
    return kind in ALWAYS_VALIDATED or kind not in frozenset(immediate)


ALREADY_DECIDED = "Cette demande a déjà été traitée."


def check_decision(*, status: str, requested_by: str, decided_by: str) -> None:
    """A request is decided once, never by the person who asked for it (four eyes, docs/security.md AZ-07)."""
    if status != ChangeStatus.PENDING:
        raise DecisionRefused(ALREADY_DECIDED, 409)
    if requested_by == decided_by:
        raise DecisionRefused("Vous ne pouvez pas valider une demande que vous avez faite vous-même.", 403)


def is_stale(before: dict[str, Any], current: dict[str, Any]) -> bool:
    """The data changed since the request was made: applying it would silently undo another change."""
    return any(current.get(name) != value for name, value in before.items())
