"""Appointment rules and the French labels of their codes, free of Flask and SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum

from portal_common.errors import Conflict, FieldErrors

from ..business_calendar.rules import VISIT_REFUSED, HolidayCalendar, closed_day_reason, local_day


class VisitType(StrEnum):
    EMBAUCHE = "embauche"
    PERIODIQUE = "periodique"
    REPRISE = "reprise"
    PRE_REPRISE = "pre_reprise"
    DEMANDE = "demande"
    MI_CARRIERE = "mi_carriere"
    APTITUDE = "aptitude"
    POST_EXPOSITION = "post_exposition"


class ProfessionalKind(StrEnum):
    MEDECIN = "medecin"
    INFIRMIER = "infirmier"
    COLLABORATEUR_MEDECIN = "collaborateur_medecin"


class AppointmentStatus(StrEnum):
    """An appointment's status (the stored value)."""

    DEMANDEE = "demandee"
    PLANIFIEE = "planifiee"
    CONVOQUEE = "convoquee"
    REALISEE = "realisee"
    ABSENT_EXCUSE = "absent_excuse"
    ABSENT_NON_EXCUSE = "absent_non_excuse"
    ANNULEE = "annulee"


class When(StrEnum):
    """A visit is "à venir" until its start time, then "passé"."""

    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


class CancelledBy(StrEnum):
    """Who cancelled a visit (the cancelled event's `cancelled_by`)."""

    STAFF = "staff"
    EMPLOYER = "employer"


# Code → French label, in the order the UI lists them.
VISIT_TYPES: dict[str, str] = {
    VisitType.EMBAUCHE: "Visite d'information et de prévention initiale",
    VisitType.PERIODIQUE: "Visite périodique",
    VisitType.REPRISE: "Visite de reprise",
    VisitType.PRE_REPRISE: "Visite de pré-reprise",
    VisitType.DEMANDE: "Visite à la demande",
    VisitType.MI_CARRIERE: "Visite de mi-carrière",
    VisitType.APTITUDE: "Examen médical d'aptitude",
    VisitType.POST_EXPOSITION: "Visite de fin d'exposition / départ",
}
PROFESSIONAL_KINDS: dict[str, str] = {
    ProfessionalKind.MEDECIN: "Médecin du travail",
    ProfessionalKind.INFIRMIER: "Infirmier en santé au travail",
    ProfessionalKind.COLLABORATEUR_MEDECIN: "Collaborateur médecin",
}
STATUSES: dict[str, str] = {
    AppointmentStatus.DEMANDEE: "Demandée",
    AppointmentStatus.PLANIFIEE: "Planifiée",
    AppointmentStatus.CONVOQUEE: "Convoquée",
    AppointmentStatus.REALISEE: "Réalisée",
    AppointmentStatus.ABSENT_EXCUSE: "Absent excusé",
    AppointmentStatus.ABSENT_NON_EXCUSE: "Absent non excusé",
    AppointmentStatus.ANNULEE: "Annulée",
}
# Staff scheduling a visit to come can only plan it or send the convocation.
SCHEDULABLE_STATUSES = frozenset({AppointmentStatus.PLANIFIEE, AppointmentStatus.CONVOQUEE})
# Visits not yet held: they can be cancelled, moved or given an outcome.
OPEN_STATUSES = frozenset({AppointmentStatus.PLANIFIEE, AppointmentStatus.CONVOQUEE})
# Outcomes only make sense once the visit time has passed.
OUTCOME_STATUSES = frozenset(
    {AppointmentStatus.REALISEE, AppointmentStatus.ABSENT_EXCUSE, AppointmentStatus.ABSENT_NON_EXCUSE}
)


def left_before_visit(status: str, exit_date: date | None, visit_day: date) -> bool:
    """A visit not yet held whose employee workforce reported out of the company on or before its day."""
    return status in OPEN_STATUSES and exit_date is not None and exit_date <= visit_day


def cancellation_proposed(status: str, visit_type: str, exit_date: date | None, visit_day: date) -> bool:
    """After an exit, the employer is offered to cancel the visit, never automatically: a visit at departure
    (fin d'exposition / départ) is the very reason to keep it, and any other may still be wanted."""
    return left_before_visit(status, exit_date, visit_day) and visit_type != VisitType.POST_EXPOSITION


MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 120
PLACE_NAME_MAX = 200
PLACE_ADDRESS_MAX = 300

WHEN_VALUES = tuple(When)


class NotFound(Exception):
    """No such object for this caller (another company's answers the same: no enumeration)."""


class AppointmentRejected(FieldErrors):
    """An appointment the rules refuse: French messages per field, shown next to the fields."""


class CancellationRefused(FieldErrors):
    """Too late to cancel (the message gives the limit), or nothing left to cancel or withdraw."""


class OutcomeAlreadyRecorded(AppointmentRejected, Conflict):
    """Attendance is noted once (two staff at once, a retried call): the first outcome stands (409)."""

    reason = "appointment_outcome_already_recorded"


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
    status: str = AppointmentStatus.PLANIFIEE
    # Only for demo data and history taken over from the previous system.
    allow_past: bool = False


def check_duration(minutes: int, errors: dict[str, str]) -> None:
    if not MIN_DURATION_MINUTES <= minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = (
            f"La durée doit être comprise entre {MIN_DURATION_MINUTES} et {MAX_DURATION_MINUTES} minutes."
        )


def normalised_place(place: Place, field: str, errors: dict[str, str]) -> Place:
    """The centre's name trimmed and its address on one line; a missing or too long one is refused."""
    normalised = Place(name=place.name.strip(), address=" ".join(place.address.split()))
    if not normalised.name or len(normalised.name) > PLACE_NAME_MAX:
        errors[field] = f"Le nom du centre est obligatoire ({PLACE_NAME_MAX} caractères au plus)."
    elif not normalised.address or len(normalised.address) > PLACE_ADDRESS_MAX:
        errors[field] = f"L'adresse du centre est obligatoire ({PLACE_ADDRESS_MAX} caractères au plus)."
    return normalised


def check_schedule(
    cmd: ScheduleCommand,
    *,
    employee_member_id: str | None,
    now: datetime,
    calendar: HolidayCalendar = HolidayCalendar.METROPOLE,
) -> ScheduleCommand:
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
        starts_at = starts_at.astimezone(UTC)
        is_past = starts_at <= now
        if is_past and not cmd.allow_past:
            errors["starts_at"] = "Le rendez-vous doit être fixé dans le futur."
        elif not is_past and (closed := closed_day_reason(local_day(starts_at), calendar, VISIT_REFUSED)):
            errors["starts_at"] = closed
    check_duration(cmd.duration_minutes, errors)
    if cmd.visit_type not in VISIT_TYPES:
        errors["visit_type"] = "Type de visite inconnu."
    if cmd.professional_kind not in PROFESSIONAL_KINDS:
        errors["professional_kind"] = "Professionnel de santé inconnu."
    place = normalised_place(cmd.place, "place", errors)
    if cmd.status not in STATUSES:
        errors["status"] = "Statut inconnu."
    elif not cmd.allow_past and cmd.status not in SCHEDULABLE_STATUSES:
        errors["status"] = "Un nouveau rendez-vous est planifié ou convoqué."
    elif cmd.status in OUTCOME_STATUSES and not is_past:
        errors["status"] = "Un rendez-vous à venir ne peut pas être déjà réalisé ou manqué."
    if errors:
        raise AppointmentRejected(errors)
    return replace(cmd, starts_at=starts_at, place=place)


def check_outcome(*, status: str, new_status: str, starts_at: datetime, now: datetime) -> None:
    """Staff record attendance of a held visit once its time has come."""
    errors: dict[str, str] = {}
    if new_status not in OUTCOME_STATUSES:
        errors["status"] = "Choisissez réalisée, absent excusé ou absent non excusé."
    elif status not in OPEN_STATUSES:
        raise OutcomeAlreadyRecorded({"status": f"Ce rendez-vous est déjà « {STATUSES[status].lower()} »."})
    elif starts_at > now:
        errors["status"] = "La présence se note une fois l'heure du rendez-vous passée."
    if errors:
        raise AppointmentRejected(errors)


CORRECTION_REASON_MAX = 500


class OutcomeCorrectionStale(AppointmentRejected, Conflict):
    """The outcome changed since the staff member read it (another correction): nothing corrected (409)."""

    reason = "appointment_changed"


def check_outcome_correction(*, status: str, new_status: str, reason: str, version: int, read_version: int) -> str:
    """A recorded outcome is corrected only explicitly, to another outcome, with the reason kept in the audit
    trail; answers the reason, trimmed."""
    reason = reason.strip()
    if version != read_version:
        raise OutcomeCorrectionStale(
            {"version": "Ce rendez-vous a été modifié entre-temps : rechargez-le avant de corriger sa présence."}
        )
    errors: dict[str, str] = {}
    if status not in OUTCOME_STATUSES:
        errors["status"] = "Seule une présence déjà notée peut être corrigée : notez-la d'abord."
    elif new_status not in OUTCOME_STATUSES:
        errors["status"] = "Choisissez réalisée, absent excusé ou absent non excusé."
    elif new_status == status:
        errors["status"] = f"Ce rendez-vous est déjà « {STATUSES[status].lower()} »."
    if not reason:
        errors["reason"] = "Indiquez le motif de la correction : il est conservé dans l'historique."
    elif len(reason) > CORRECTION_REASON_MAX:
        errors["reason"] = f"{CORRECTION_REASON_MAX} caractères au plus."
    if errors:
        raise AppointmentRejected(errors)
    return reason


def check_cancellable(*, status: str, starts_at: datetime, now: datetime) -> None:
    """Only a visit still to be held can be cancelled."""
    if status not in OPEN_STATUSES or starts_at <= now:
        raise CancellationRefused({"appointment_id": "Ce rendez-vous n'est plus annulable."})


def cancellation_too_late(limit_fr: str, notice_business_days: int) -> CancellationRefused:
    """The employer's refusal past the limit (`limit_fr`: the last day, written in French)."""
    return CancellationRefused(
        {
            "appointment_id": (
                f"Annulation refusée : elle était possible jusqu'au {limit_fr} inclus "
                f"({notice_business_days} jours ouvrés avant la visite). "
                "Contactez le service de santé au travail."
            )
        }
    )


class CancellationReason(StrEnum):
    """Why a visit is cancelled (the stored `cancellation_reason_code`); each side chooses from its own list."""

    SALARIE_ABSENT = "salarie_absent"
    SALARIE_SORTI = "salarie_sorti"
    CONTRAINTE_SERVICE = "contrainte_service"
    PROFESSIONNEL_INDISPONIBLE = "professionnel_indisponible"
    CENTRE_FERME = "centre_ferme"
    DEMANDE_ADHERENT = "demande_adherent"
    AUTRE = "autre"


CANCELLATION_REASONS = {
    CancellationReason.SALARIE_ABSENT: "Salarié absent/malade",
    CancellationReason.SALARIE_SORTI: "Salarié sorti des effectifs",
    CancellationReason.CONTRAINTE_SERVICE: "Contrainte de service",
    CancellationReason.PROFESSIONNEL_INDISPONIBLE: "Professionnel de santé indisponible",
    CancellationReason.CENTRE_FERME: "Centre fermé ce jour-là",
    CancellationReason.DEMANDE_ADHERENT: "À la demande de l'adhérent",
    CancellationReason.AUTRE: "Autre (préciser)",
}
# The employer's list (as AMSN asks) and staff's; « Autre » needs the free text.
EMPLOYER_CANCELLATION_REASONS = (
    CancellationReason.SALARIE_ABSENT,
    CancellationReason.SALARIE_SORTI,
    CancellationReason.CONTRAINTE_SERVICE,
    CancellationReason.AUTRE,
)
STAFF_CANCELLATION_REASONS = (
    CancellationReason.PROFESSIONNEL_INDISPONIBLE,
    CancellationReason.CENTRE_FERME,
    CancellationReason.DEMANDE_ADHERENT,
    CancellationReason.SALARIE_ABSENT,
    CancellationReason.AUTRE,
)
CANCELLATION_TEXT_MAX = 500


class CancellationStale(CancellationRefused, Conflict):
    """The visit changed since the page was read (moved, cancelled by the other side): nothing cancelled (409)."""

    reason = "appointment_changed"


@dataclass(frozen=True)
class CancellationGrounds:
    code: CancellationReason
    text: str | None


def check_cancellation_reason(
    code: str, text: str | None, *, cancelled_by: CancelledBy, version: int, read_version: int | None
) -> CancellationGrounds:
    """A cancellation names its reason from the side's list, with free text (required for « Autre »), and is
    made from the visit as it stands (`read_version`, when the client sent one)."""
    if read_version is not None and read_version != version:
        raise CancellationStale(
            {"version": "Ce rendez-vous a été modifié entre-temps : rechargez la page avant de l'annuler."}
        )
    allowed = EMPLOYER_CANCELLATION_REASONS if cancelled_by == CancelledBy.EMPLOYER else STAFF_CANCELLATION_REASONS
    errors: dict[str, str] = {}
    cleaned = " ".join((text or "").split())
    if not code:
        errors["reason_code"] = "Choisissez le motif de l'annulation."
    elif code not in allowed:
        errors["reason_code"] = "Motif inconnu : choisissez-en un de la liste."
    if len(cleaned) > CANCELLATION_TEXT_MAX:
        errors["reason_text"] = f"{CANCELLATION_TEXT_MAX} caractères au plus."
    elif code == CancellationReason.AUTRE and not cleaned:
        errors["reason_text"] = "Précisez le motif de l'annulation."
    if errors:
        raise CancellationRefused(errors)
    return CancellationGrounds(CancellationReason(code), cleaned or None)


def cancellation_reason_label(code: str | None, text: str | None) -> str:
    """The reason as the other side reads it: « Contrainte de service — inventaire annuel »."""
    if not code:
        return text or ""
    label = CANCELLATION_REASONS[CancellationReason(code)]
    if code == CancellationReason.AUTRE:
        return text or label
    return f"{label} — {text}" if text else label
