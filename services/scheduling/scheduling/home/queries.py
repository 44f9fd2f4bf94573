"""What scheduling shows on the home pages, counted in its own tables (never a medical detail: dates and counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, select

from portal_common.clock import PARIS
from portal_common.formats import datetime_fr
from portal_common.service import portal

from ..appointments.rules import OPEN_STATUSES, AppointmentStatus
from ..models import Appointment, Slot, VisitObligation, VisitRequest
from ..visit_requests.rules import RequestStatus

SOON_DAYS = 30


def _start_of(day: date) -> datetime:
    """Midnight of a French calendar day, in UTC (what the tables store)."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)


def _count(stmt) -> int:  # type: ignore[no-untyped-def]
    return int(portal().db.session.scalar(stmt) or 0)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass(frozen=True)
class CompanyCounts:
    overdue: int
    soon: int
    due_this_year: int
    upcoming: int
    first_upcoming: datetime | None
    done_this_year: int


def company_counts(member_id: str, day: date, now: datetime) -> CompanyCounts:
    """Everything the company's part counts, in two statements (one over its obligations, one over its
    appointments) rather than one per figure: each round trip costs « Accueil » a millisecond or more."""
    session = portal().db.session
    soon_end, year_start, year_end = day + timedelta(days=SOON_DAYS), date(day.year, 1, 1), date(day.year, 12, 31)
    overdue, soon, due = session.execute(
        select(
            func.count().filter(VisitObligation.due_on < day),
            func.count().filter(VisitObligation.due_on >= day, VisitObligation.due_on <= soon_end),
            func.count().filter(VisitObligation.due_on >= year_start, VisitObligation.due_on <= year_end),
        ).where(VisitObligation.member_id == member_id, VisitObligation.due_on <= max(soon_end, year_end))
    ).one()
    upcoming = and_(Appointment.status.in_(tuple(OPEN_STATUSES)), Appointment.starts_at >= now)
    done_this_year = and_(
        Appointment.status == AppointmentStatus.REALISEE,
        Appointment.starts_at >= _start_of(year_start),
        Appointment.starts_at < _start_of(date(day.year + 1, 1, 1)),
    )
    upcoming_count, first, done = session.execute(
        select(
            func.count().filter(upcoming),
            func.min(Appointment.starts_at).filter(upcoming),
            func.count().filter(done_this_year),
        ).where(Appointment.member_id == member_id)
    ).one()
    return CompanyCounts(overdue, soon, due, upcoming_count, first, done)


def company_todos(counts: CompanyCounts) -> list[dict[str, str]]:
    todos = []
    overdue, soon, upcoming = counts.overdue, counts.soon, counts.upcoming
    if overdue:
        todos.append(
            {
                "label": _plural(overdue, "visite en retard", "visites en retard"),
                "href": "/rendez-vous#obligations",
                "detail": "échéance dépassée : demandez un rendez-vous",
                "tone": "danger",
                "badge": "En retard",
            }
        )
    if soon:
        todos.append(
            {
                "label": _plural(soon, "visite à prévoir", "visites à prévoir") + f" dans les {SOON_DAYS} jours",
                "href": "/rendez-vous#obligations",
                "tone": "warning",
                "badge": "Bientôt",
            }
        )
    if upcoming and counts.first_upcoming is not None:
        todos.append(
            {
                "label": _plural(upcoming, "convocation à venir", "convocations à venir"),
                "href": "/rendez-vous#a-venir",
                "detail": f"la prochaine le {datetime_fr(counts.first_upcoming)}",
                "tone": "info",
                "badge": "Convocation",
            }
        )
    return todos


def company_summary(counts: CompanyCounts, day: date) -> list[tuple[str, str]]:
    return [
        (f"Visites réalisées en {day.year}", str(counts.done_this_year)),
        (f"Visites dues en {day.year}", str(counts.due_this_year)),
    ]


def staff_queues(day: date) -> list[dict[str, object]]:
    requests = _count(
        select(func.count()).select_from(VisitRequest).where(VisitRequest.status == RequestStatus.DEMANDEE)
    )
    monday = day - timedelta(days=day.weekday())
    week_start, week_end = _start_of(monday), _start_of(monday + timedelta(days=7))
    free = _count(
        select(func.coalesce(func.sum(Slot.capacity - Slot.booked), 0)).where(
            Slot.starts_at >= week_start, Slot.starts_at < week_end, Slot.booked < Slot.capacity
        )
    )
    return [
        {"count": requests, "label": "Demandes de visite à planifier", "href": "/gestion/rendez-vous#demandes"},
        {"count": free, "label": "Places libres cette semaine", "href": "/gestion/rendez-vous#creneaux"},
    ]
