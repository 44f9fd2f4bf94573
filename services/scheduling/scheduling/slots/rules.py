"""Slots staff open and the visits that may go into them, free of Flask and SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from portal_common.errors import FieldErrors

from ..appointments.rules import (
    PLACE_NAME_MAX,
    PROFESSIONAL_KINDS,
    AppointmentRejected,
    Place,
    ProfessionalKind,
    VisitType,
    check_duration,
    normalised_place,
)

MAX_SLOT_CAPACITY = 20

# Who may do which visit (L4624-1, R4624-24, -28, -31, L4624-2-2): the others are open to every professional.
MEDECIN_ONLY_TYPES = frozenset(
    {VisitType.APTITUDE, VisitType.REPRISE, VisitType.PRE_REPRISE, VisitType.POST_EXPOSITION}
)
MID_CAREER_PROFESSIONALS = frozenset({ProfessionalKind.MEDECIN, ProfessionalKind.INFIRMIER})
# Obligations whose visit the médecin must do even though the visit type is open to others (SIR renewal).
MEDECIN_ONLY_RULES = frozenset({"examen_aptitude", "periodique_sir"})


class PlacementRejected(FieldErrors):
    """A visit that cannot go into the chosen slot."""


def slot_full(capacity: int) -> str:
    return f"Ce créneau est complet ({capacity} rendez-vous au plus)."


@dataclass(frozen=True)
class SlotCommand:
    centre: Place
    professional_kind: str
    professional_name: str
    starts_at: datetime
    duration_minutes: int
    capacity: int = 1


def check_slot(cmd: SlotCommand, *, now: datetime) -> SlotCommand:
    """Normalise and validate a slot staff open; raises AppointmentRejected with every problem at once."""
    errors: dict[str, str] = {}
    starts_at = cmd.starts_at
    if starts_at.tzinfo is None:
        errors["starts_at"] = "La date et l'heure doivent préciser le fuseau horaire."
    else:
        starts_at = starts_at.astimezone(UTC)
        if starts_at <= now:
            errors["starts_at"] = "Le créneau doit commencer dans le futur."
    check_duration(cmd.duration_minutes, errors)
    if not 1 <= cmd.capacity <= MAX_SLOT_CAPACITY:
        errors["capacity"] = f"La capacité va de 1 à {MAX_SLOT_CAPACITY} rendez-vous."
    if cmd.professional_kind not in PROFESSIONAL_KINDS:
        errors["professional_kind"] = "Professionnel de santé inconnu."
    name = " ".join(cmd.professional_name.split())
    if not name or len(name) > PLACE_NAME_MAX:
        errors["professional_name"] = f"Le nom du professionnel est obligatoire ({PLACE_NAME_MAX} caractères au plus)."
    centre = normalised_place(cmd.centre, "centre", errors)
    if errors:
        raise AppointmentRejected(errors)
    return replace(cmd, starts_at=starts_at, centre=centre, professional_name=name)


def may_perform(professional_kind: str, visit_type: str, rule: str | None = None) -> bool:
    if visit_type in MEDECIN_ONLY_TYPES or rule in MEDECIN_ONLY_RULES:
        return professional_kind == ProfessionalKind.MEDECIN
    if visit_type == VisitType.MI_CARRIERE:
        return professional_kind in MID_CAREER_PROFESSIONALS
    return professional_kind in PROFESSIONAL_KINDS


def check_placement(
    *,
    visit_type: str,
    rule: str | None,
    professional_kind: str,
    slot_starts_at: datetime,
    booked: int,
    capacity: int,
    now: datetime,
) -> None:
    """A visit goes into a slot to come, with room left, held by a professional allowed to do it."""
    errors: dict[str, str] = {}
    if slot_starts_at <= now:
        errors["slot_id"] = "Ce créneau est passé."
    elif booked >= capacity:
        errors["slot_id"] = slot_full(capacity)
    elif not may_perform(professional_kind, visit_type, rule):
        errors["slot_id"] = (
            f"Un {PROFESSIONAL_KINDS[professional_kind].lower()} ne peut pas faire cette visite : "
            "choisissez un créneau du médecin du travail."
        )
    if errors:
        raise PlacementRejected(errors)


def check_employee_present(*, known: bool, exited: bool, visit_type: str) -> None:
    """The employee must be known here; a leaver is convoked only to the visit his exit calls for."""
    if not known or (exited and visit_type != VisitType.POST_EXPOSITION):
        raise PlacementRejected({"employee_id": "Ce salarié n'est plus dans l'entreprise."})


def check_not_convoked_yet(open_visit_exists: bool) -> None:
    """A due visit already convoked is not convoked again."""
    if open_visit_exists:
        raise PlacementRejected(
            {
                "obligation_id": (
                    "Cette visite est déjà convoquée pour ce salarié : annulez le rendez-vous existant ou notez "
                    "sa présence avant d'en fixer un autre."
                )
            }
        )
