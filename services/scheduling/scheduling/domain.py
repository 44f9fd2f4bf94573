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



# Who may do which visit (L4624-1, R4624-24, -28, -31, L4624-2-2): the others are open to every professional.
MEDECIN_ONLY_TYPES = frozenset({"aptitude", "reprise", "pre_reprise", "post_exposition"})
MID_CAREER_PROFESSIONALS = frozenset({"medecin", "infirmier"})
# Obligations whose visit the médecin must do even though the visit type is open to others (SIR renewal).
MEDECIN_ONLY_RULES = frozenset({"examen_aptitude", "periodique_sir"})
# Visits not yet held: they can be cancelled, moved or given an outcome.
OPEN_STATUSES = frozenset({"planifiee", "convoquee"})

# Documents the employer may receive (R4624-14, -25), never the medical file; none after a pré-reprise.
DOCUMENT_KINDS: dict[str, str] = {
    "attestation_suivi": "Attestation de suivi individuel de l'état de santé",
    "avis_aptitude": "Avis d'aptitude",
    "avis_inaptitude": "Avis d'inaptitude",
    "convocation": "Convocation",
}
PUBLISHABLE_KINDS = ("attestation_suivi", "avis_aptitude", "avis_inaptitude")
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


class PlacementRejected(FieldErrors):
    """A visit that cannot go into the chosen slot."""


def may_perform(professional_kind: str, visit_type: str, rule: str | None = None) -> bool:
    if visit_type in MEDECIN_ONLY_TYPES or rule in MEDECIN_ONLY_RULES:
        return professional_kind == "medecin"
    if visit_type == "mi_carriere":
        return professional_kind in MID_CAREER_PROFESSIONALS
    return professional_kind in PROFESSIONAL_KINDS


def check_placement(*, visit_type: str, rule: str | None, professional_kind: str, slot_starts_at: datetime,
                    booked: int, capacity: int, now: datetime) -> None:
    """A visit goes into a slot to come, with room left, held by a professional allowed to do it."""
    errors: dict[str, str] = {}
    if slot_starts_at <= now:
        errors["slot_id"] = "Ce créneau est passé."
    elif booked >= capacity:
        errors["slot_id"] = f"Ce créneau est complet ({capacity} rendez-vous au plus)."
    elif not may_perform(professional_kind, visit_type, rule):
        errors["slot_id"] = (f"Un {PROFESSIONAL_KINDS[professional_kind].lower()} ne peut pas faire cette visite : "
                             "choisissez un créneau du médecin du travail.")
    if errors:
        raise PlacementRejected(errors)


def check_outcome(*, status: str, new_status: str, starts_at: datetime, now: datetime) -> None:
    """Staff record attendance of a held visit once its time has come."""
    errors: dict[str, str] = {}
    if new_status not in OUTCOME_STATUSES:
        errors["status"] = "Choisissez réalisée, absent excusé ou absent non excusé."
    elif status not in OPEN_STATUSES:
        errors["status"] = f"Ce rendez-vous est déjà « {STATUSES[status].lower()} »."
    elif starts_at > now:
        errors["status"] = "La présence se note une fois l'heure du rendez-vous passée."
    if errors:
        raise AppointmentRejected(errors)


def check_document(*, kind: str, visit_type: str, status: str, content: bytes) -> None:
    errors: dict[str, str] = {}
    if kind not in PUBLISHABLE_KINDS:
        errors["kind"] = "Type de document inconnu."
    elif visit_type == "pre_reprise":
        errors["kind"] = "Aucun document n'est remis à l'employeur après une visite de pré-reprise."
    elif kind == "avis_aptitude" and visit_type not in {"aptitude", "periodique"}:
        errors["kind"] = "L'avis d'aptitude concerne l'examen d'aptitude ou le suivi renforcé."
    if status != "realisee":
        errors["appointment_id"] = "Le document se publie après une visite réalisée."
    if not content.startswith(b"%PDF-"):
        errors["file"] = "Le document doit être un fichier PDF."
    elif len(content) > MAX_DOCUMENT_BYTES:
        errors["file"] = "Le fichier dépasse 5 Mo."
    if errors:
        raise AppointmentRejected(errors)


MAX_SLOT_CAPACITY = 20


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
        starts_at = starts_at.astimezone(timezone.utc)
        if starts_at <= now:
            errors["starts_at"] = "Le créneau doit commencer dans le futur."
    if not MIN_DURATION_MINUTES <= cmd.duration_minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = (f"La durée doit être comprise entre {MIN_DURATION_MINUTES} "
                                      f"et {MAX_DURATION_MINUTES} minutes.")
    if not 1 <= cmd.capacity <= MAX_SLOT_CAPACITY:
        errors["capacity"] = f"La capacité va de 1 à {MAX_SLOT_CAPACITY} rendez-vous."
    if cmd.professional_kind not in PROFESSIONAL_KINDS:
        errors["professional_kind"] = "Professionnel de santé inconnu."
    name = " ".join(cmd.professional_name.split())
    if not name or len(name) > PLACE_NAME_MAX:
        errors["professional_name"] = f"Le nom du professionnel est obligatoire ({PLACE_NAME_MAX} caractères au plus)."
    centre = Place(name=cmd.centre.name.strip(), address=" ".join(cmd.centre.address.split()))
    if not centre.name or len(centre.name) > PLACE_NAME_MAX:
        errors["centre"] = f"Le nom du centre est obligatoire ({PLACE_NAME_MAX} caractères au plus)."
    elif not centre.address or len(centre.address) > PLACE_ADDRESS_MAX:
        errors["centre"] = f"L'adresse du centre est obligatoire ({PLACE_ADDRESS_MAX} caractères au plus)."
    if errors:
        raise AppointmentRejected(errors)
    return replace(cmd, starts_at=starts_at, centre=centre, professional_name=name)
