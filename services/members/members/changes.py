"""Rules of change requests: what waits for staff, who may decide; no Flask, no SQLAlchemy."""
from __future__ import annotations

from typing import Any, Iterable

from .domain import FOUR_EYES_FIELDS

KINDS = {"record": "Fiche adhérent", "address": "Adresse", "contact": "Contact",
         "situation": "Changement de situation", "mandate": "Mandat de prélèvement SEPA",
         "document": "Document déposé", "team": "Équipe santé"}
ACTIONS = {"create": "Ajout", "update": "Modification", "delete": "Suppression"}
STATUSES = {"pending": "En attente de validation", "approved": "Validée", "rejected": "Refusée",
            "applied": "Appliquée immédiatement"}
# Never applied without a second person, whatever the configuration says (AZ-07).
ALWAYS_VALIDATED = frozenset({"situation", "mandate"})


class DecisionRefused(Exception):
    """A decision the rules forbid; `status` is the HTTP answer (403 self-validation, 409 already decided)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def split_record_change(changed: dict[str, Any], *, by_staff: bool,
                        immediate: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any]]:
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
        return kind == "mandate"
    return kind in ALWAYS_VALIDATED or kind not in frozenset(immediate)


def check_decision(*, status: str, requested_by: str, decided_by: str) -> None:
    """A request is decided once, never by the person who asked for it (four eyes, AZ-07)."""
    if status != "pending":
        raise DecisionRefused("Cette demande a déjà été traitée.", 409)
    if requested_by == decided_by:
        raise DecisionRefused("Vous ne pouvez pas valider une demande que vous avez faite vous-même.", 403)


def is_stale(before: dict[str, Any], current: dict[str, Any]) -> bool:
    """The data changed since the request was made: applying it would silently undo another change."""
    return any(current.get(name) != value for name, value in before.items())
