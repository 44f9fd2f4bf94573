"""Slots staff open and the visits that may go into them, free of Flask and SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from portal_common.errors import Conflict, FieldErrors
from portal_common.formats import datetime_fr

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
from ..business_calendar.rules import VISIT_REFUSED, HolidayCalendar, closed_day_reason, local_day

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


def check_slot(
    cmd: SlotCommand, *, now: datetime, calendar: HolidayCalendar = HolidayCalendar.METROPOLE
) -> SlotCommand:
    """Normalise and validate a slot staff open; raises AppointmentRejected with every problem at once."""
    errors: dict[str, str] = {}
    starts_at = cmd.starts_at
    if starts_at.tzinfo is None:
        errors["starts_at"] = "La date et l'heure doivent préciser le fuseau horaire."
    else:
        starts_at = starts_at.astimezone(UTC)
        if starts_at <= now:
            errors["starts_at"] = "Le créneau doit commencer dans le futur."
        elif closed := closed_day_reason(local_day(starts_at), calendar):
            errors["starts_at"] = closed
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
    closed: bool = False,
    calendar: HolidayCalendar | None = None,
) -> None:
    """A visit goes into an open slot to come, with room left, held by a professional allowed to do it; with the
    service's `calendar`, never on a public holiday or a Sunday (a slot kept from before its day was closed, e.g.
    opened before the regional calendar was set)."""
    errors: dict[str, str] = {}
    closed_day = closed_day_reason(local_day(slot_starts_at), calendar, VISIT_REFUSED) if calendar else None
    if closed:
        errors["slot_id"] = SLOT_CLOSED
    elif slot_starts_at <= now:
        errors["slot_id"] = "Ce créneau est passé."
    elif closed_day:
        errors["slot_id"] = closed_day
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


SLOT_CLOSED = "Ce créneau est fermé : choisissez-en un autre."


class SlotChangeRefused(Conflict):
    """A slot already closed, or one still holding visits that staff wanted to delete (409)."""

    reason = "slot_in_use"


def check_closable(*, closed: bool) -> None:
    if closed:
        raise SlotChangeRefused({"slot_id": "Ce créneau est déjà fermé."})


def check_deletable(*, booked: int) -> None:
    """Only a free slot is deleted: the visits it holds are cancelled (with a reason) first; closing it instead
    stops new convocations and keeps them."""
    if booked:
        held = "un rendez-vous" if booked == 1 else f"{booked} rendez-vous"
        raise SlotChangeRefused(
            {
                "slot_id": f"Ce créneau porte {held} : annulez-{'le' if booked == 1 else 'les'} avec un motif avant de "
                "le supprimer, ou fermez-le pour qu'il ne reçoive plus de convocation."
            }
        )


MOVE_REASON_MAX = 500


class MoveStale(PlacementRejected, Conflict):
    """The visit changed since it was read (moved or cancelled meanwhile): nothing moved (409)."""

    reason = "appointment_changed"


def check_move(
    *,
    status_open: bool,
    starts_at: datetime,
    version: int,
    read_version: int,
    reason: str,
    now: datetime,
) -> str:
    """A visit still to come, as it was read, moves with a reason the company reads; returns the reason cleaned."""
    if read_version != version:
        raise MoveStale(
            {"version": "Ce rendez-vous a été modifié entre-temps : rechargez la page avant de le déplacer."}
        )
    if not status_open or starts_at <= now:
        raise MoveStale({"appointment_id": "Ce rendez-vous n'est plus déplaçable (annulé, passé ou déjà tenu)."})
    errors: dict[str, str] = {}
    cleaned = _move_reason(reason, errors)
    if errors:
        raise PlacementRejected(errors)
    return cleaned


def _move_reason(reason: str, errors: dict[str, str]) -> str:
    """The reason of a move (the company reads it in the new convocation), cleaned; its problem put in `errors`."""
    cleaned = " ".join(reason.split())
    if not cleaned:
        errors["reason"] = "Précisez le motif du déplacement : l'adhérent le lit."
    elif len(cleaned) > MOVE_REASON_MAX:
        errors["reason"] = f"{MOVE_REASON_MAX} caractères au plus."
    return cleaned


def check_move_target(
    *,
    same_slot: bool,
    same_centre: bool,
    same_kind: bool,
) -> None:
    """A move goes to another slot of the same centre, held by the same kind of professional."""
    if same_slot:
        raise PlacementRejected({"slot_id": "Le rendez-vous est déjà dans ce créneau : choisissez-en un autre."})
    if not same_centre:
        raise PlacementRejected({"slot_id": "Choisissez un créneau du même centre que le rendez-vous."})
    if not same_kind:
        raise PlacementRejected({"slot_id": "Choisissez un créneau du même professionnel de santé que le rendez-vous."})


def check_new_time(
    starts_at: datetime,
    *,
    current: datetime,
    in_slot: bool,
    now: datetime,
    calendar: HolidayCalendar = HolidayCalendar.METROPOLE,
) -> datetime:
    """A visit held outside any slot moves to a new time, same place: in the future, on an open day. A visit in a
    slot moves to another slot (its seat is what the slot counts)."""
    if in_slot:
        raise PlacementRejected({"starts_at": "Ce rendez-vous est dans un créneau : choisissez un autre créneau."})
    if starts_at.tzinfo is None:
        raise PlacementRejected({"starts_at": "La date et l'heure doivent préciser le fuseau horaire."})
    starts_at = starts_at.astimezone(UTC)
    if starts_at <= now:
        raise PlacementRejected({"starts_at": "La nouvelle date doit être dans le futur."})
    if starts_at == current:
        raise PlacementRejected({"starts_at": "Le rendez-vous est déjà à cette date et à cette heure."})
    if closed := closed_day_reason(local_day(starts_at), calendar, VISIT_REFUSED):
        raise PlacementRejected({"starts_at": closed})
    return starts_at


class SlotMoveStale(PlacementRejected, Conflict):
    """The slot changed since it was read (moved or closed meanwhile): nothing moved (409)."""

    reason = "slot_changed"


@dataclass(frozen=True)
class Booking:
    """Another slot of the same professional: when it starts and how long it lasts."""

    starts_at: datetime
    duration_minutes: int


def check_slot_move(
    slot: SlotCommand,
    *,
    new_starts_at: datetime,
    version: int,
    read_version: int,
    reason: str,
    now: datetime,
    others: list[Booking],
    calendar: HolidayCalendar = HolidayCalendar.METROPOLE,
) -> tuple[datetime, str]:
    """A slot still to come, as it was read, moves to a new start with a reason the companies read; it keeps its
    centre, professional, duration and capacity. The new start passes the rules of opening a slot (`check_slot`:
    in the future, neither a Sunday nor a public holiday of the calendar) and overlaps none of the professional's
    `others`. Returns the new start (UTC) and the reason cleaned; raises with every problem at once."""
    if read_version != version:
        raise SlotMoveStale(
            {"version": "Ce créneau a été modifié entre-temps : rechargez la page avant de le déplacer."}
        )
    if slot.starts_at <= now:
        raise SlotChangeRefused({"slot_id": "Ce créneau est passé : il ne peut plus être déplacé."})
    errors: dict[str, str] = {}
    starts_at = new_starts_at
    try:
        starts_at = check_slot(replace(slot, starts_at=new_starts_at), now=now, calendar=calendar).starts_at
    except AppointmentRejected as exc:
        errors.update(exc.errors)
    if "starts_at" not in errors:
        if starts_at == slot.starts_at:
            errors["starts_at"] = "Le créneau est déjà à cette date et à cette heure."
        elif clash := overlapping(starts_at, slot.duration_minutes, others):
            errors["starts_at"] = (
                f"{slot.professional_name} a déjà un créneau le {datetime_fr(clash.starts_at)} "
                f"({clash.duration_minutes} min) : choisissez une autre heure."
            )
    cleaned = _move_reason(reason, errors)
    if errors:
        raise PlacementRejected(errors)
    return starts_at, cleaned


def overlapping(starts_at: datetime, duration_minutes: int, others: list[Booking]) -> Booking | None:
    """The first of `others` whose time meets [starts_at, starts_at + duration), if any."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    for other in sorted(others, key=lambda o: o.starts_at):
        if other.starts_at < ends_at and starts_at < other.starts_at + timedelta(minutes=other.duration_minutes):
            return other
    return None
