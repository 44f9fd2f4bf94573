"""Appointment rules and the French labels of their codes, free of Flask and SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

from portal_common.errors import FieldErrors

# Code → French label, in the order the UI lists them.
VISIT_TYPES: dict[str, str] = {
    "embauche": "Visite d'information et de prévention initiale",
    "periodique": "Visite périodique",
    "reprise": "Visite de reprise",
    "pre_reprise": "Visite de pré-reprise",
    "demande": "Visite à la demande",
    "mi_carriere": "Visite de mi-carrière",
    "aptitude": "Examen médical d'aptitude",
    "post_exposition": "Visite de fin d'exposition / départ",
}
PROFESSIONAL_KINDS: dict[str, str] = {
    "medecin": "Médecin du travail",
    "infirmier": "Infirmier en santé au travail",
    "collaborateur_medecin": "Collaborateur médecin",
}
STATUSES: dict[str, str] = {
    "demandee": "Demandée",
    "planifiee": "Planifiée",
    "convoquee": "Convoquée",
    "realisee": "Réalisée",
    "absent_excuse": "Absent excusé",
    "absent_non_excuse": "Absent non excusé",
    "annulee": "Annulée",
}
# Staff scheduling a visit to come can only plan it or send the convocation.
SCHEDULABLE_STATUSES = frozenset({"planifiee", "convoquee"})
# Outcomes only make sense once the visit time has passed.
OUTCOME_STATUSES = frozenset({"realisee", "absent_excuse", "absent_non_excuse"})

MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 120
PLACE_NAME_MAX = 200
PLACE_ADDRESS_MAX = 300

# A visit is "à venir" until its start time, then "passé".
WHEN_UPCOMING, WHEN_PAST, WHEN_ALL = "upcoming", "past", "all"
WHEN_VALUES = (WHEN_UPCOMING, WHEN_PAST, WHEN_ALL)


class AppointmentRejected(FieldErrors):
    """An appointment the rules refuse: French messages per field, shown next to the fields."""


@dataclass(frozen=True)
class Place:
    """Where the visit happens: the centre's name and its address as one text."""

    name: str
    address: str


@dataclass(frozen=True)
class ScheduleCommand:
    member_id: str
    employee_id: str
    starts_at: datetime
    duration_minutes: int
    visit_type: str
    place: Place
    professional_kind: str
    status: str = "planifiee"
    # Only for demo data and history taken over from the previous system.
    allow_past: bool = False


def check_schedule(cmd: ScheduleCommand, *, employee_member_id: str | None, now: datetime) -> ScheduleCommand:
    """Normalise and validate; `employee_member_id` is None when the employee is unknown here.

    Raises AppointmentRejected with every problem at once.
    """
    errors: dict[str, str] = {}
    if employee_member_id is None:
        errors["employee_id"] = "Salarié inconnu du service."
    elif employee_member_id != cmd.member_id:
        errors["employee_id"] = "Ce salarié n'appartient pas à cet adhérent."
    starts_at = cmd.starts_at
    is_past = False
    if starts_at.tzinfo is None:
        errors["starts_at"] = "La date et l'heure doivent préciser le fuseau horaire."
    else:
        starts_at = starts_at.astimezone(timezone.utc)
        is_past = starts_at <= now
        if is_past and not cmd.allow_past:
            errors["starts_at"] = "Le rendez-vous doit être fixé dans le futur."
    if not MIN_DURATION_MINUTES <= cmd.duration_minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = (f"La durée doit être comprise entre {MIN_DURATION_MINUTES} "
                                      f"et {MAX_DURATION_MINUTES} minutes.")
    if cmd.visit_type not in VISIT_TYPES:
        errors["visit_type"] = "Type de visite inconnu."
    if cmd.professional_kind not in PROFESSIONAL_KINDS:
        errors["professional_kind"] = "Professionnel de santé inconnu."
    place = Place(name=cmd.place.name.strip(), address=" ".join(cmd.place.address.split()))
    if not place.name or len(place.name) > PLACE_NAME_MAX:
        errors["place"] = f"Le nom du centre est obligatoire ({PLACE_NAME_MAX} caractères au plus)."
    elif not place.address or len(place.address) > PLACE_ADDRESS_MAX:
        errors["place"] = f"L'adresse du centre est obligatoire ({PLACE_ADDRESS_MAX} caractères au plus)."
    if cmd.status not in STATUSES:
        errors["status"] = "Statut inconnu."
    elif not cmd.allow_past and cmd.status not in SCHEDULABLE_STATUSES:
        errors["status"] = "Un nouveau rendez-vous est planifié ou convoqué."
    elif cmd.status in OUTCOME_STATUSES and not is_past:
        errors["status"] = "Un rendez-vous à venir ne peut pas être déjà réalisé ou manqué."
    if errors:
        raise AppointmentRejected(errors)
    return replace(cmd, starts_at=starts_at, place=place)

