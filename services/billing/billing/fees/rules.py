"""One-off fees: an unexcused missed appointment, and a hire after the year's headcount declaration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal_common.clock import PARIS
from portal_common.formats import date_fr
from portal_common.vocabulary import MonitoringCategory

from ..invoices.rules import LineInput
from ..tariffs.rules import Tariff

CATEGORIES = frozenset(MonitoringCategory)


class FeeEventInvalid(ValueError):
    """An event a fee cannot be computed from (never retried with success)."""


@dataclass(frozen=True)
class MissedAppointment:
    appointment_id: str
    member_id: str
    starts_at: datetime

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> MissedAppointment:
        starts_at = datetime.fromisoformat(str(data["starts_at"]).replace("Z", "+00:00"))
        if starts_at.tzinfo is None:
            raise FeeEventInvalid("starts_at needs a time zone")
        return cls(data["appointment_id"], data["member_id"], starts_at.astimezone(PARIS))

    @property
    def year(self) -> int:
        return self.starts_at.year


@dataclass(frozen=True)
class Hire:
    employee_id: str
    member_id: str
    hire_date: date
    category: str
    # « DUPONT Marie Claire »: the line names whom it bills (None for hires kept before names were).
    name: str | None = None

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> Hire:
        category = data["monitoring_category"]
        if category not in CATEGORIES:
            raise FeeEventInvalid("unknown monitoring category")
        name = " ".join(str(data.get(part) or "").strip() for part in ("last_name", "first_names")).strip()
        return cls(
            data["employee_id"],
            data["member_id"],
            date.fromisoformat(data["hire_date"]),
            category,
            name[:120] or None,
        )


def no_show_key(appointment_id: str) -> str:
    return f"no_show:{appointment_id}"


def late_hire_key(employee_id: str) -> str:
    return f"late_hire:{employee_id}"


def no_show_lines(tariff: Tariff, missed: MissedAppointment) -> tuple[LineInput, ...]:
    """The no-show fee of the appointment's year; nothing when the tariff sets none.

    The line names the appointment's date and time only: never the employee nor the kind of visit.
    """
    if not tariff.no_show_fee:
        return ()
    when = f"{date_fr(missed.starts_at)} à {missed.starts_at:%H:%M}"
    return (LineInput(f"Absence non excusée au rendez-vous du {when}", Decimal(1), tariff.no_show_fee),)


def declaration_reference_date(year: int) -> date:
    """The day a declaration counts the employees at: 1 January of its year (workforce's rule)."""
    return date(year, 1, 1)


def is_late_hire(hire_date: date, declared_year: int | None) -> bool:
    """A hire is billed apart when the company declared the hire's year and the hire came after the day that
    declaration counted (1 January): the declaration's headcount does not include that employee.

    Without a declaration of that year, nothing is billed apart: the estimate, made on the current
    headcount, counts the employee, and a declaration arriving later bills the hires kept meanwhile.
    """
    return declared_year == hire_date.year and hire_date > declaration_reference_date(declared_year)


def late_hire_lines(tariff: Tariff, hire: Hire) -> tuple[LineInput, ...]:
    if not tariff.late_hire_fee:
        return ()
    return (
        LineInput(
            f"Embauche après la déclaration {hire.hire_date.year} : {hire.name or 'salarié'} entré(e) le "
            f"{date_fr(hire.hire_date)} ({hire.category})",
            Decimal(1),
            tariff.late_hire_fee,
        ),
    )
