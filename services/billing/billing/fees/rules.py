"""One-off fees: an unexcused missed appointment, and a hire after the year's headcount declaration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal_common.clock import PARIS
from portal_common.formats import date_fr
from portal_common.vocabulary import MonitoringCategory, VisitOutcome

from ..invoices.rules import LineInput
from ..tariffs.rules import Tariff

CATEGORIES = frozenset(MonitoringCategory)
OUTCOMES = frozenset(VisitOutcome)


class FeeEventInvalid(ValueError):
    """An event a fee cannot be computed from (never retried with success)."""


@dataclass(frozen=True)
class RecordedOutcome:
    """An appointment's outcome as scheduling last published it: noted missed (unexcused), or corrected."""

    appointment_id: str
    member_id: str
    starts_at: datetime
    status: str = VisitOutcome.ABSENT_NON_EXCUSE
    # Scheduling's version of the appointment: outcomes are applied in this order.
    version: int = 0

    @classmethod
    def from_missed(cls, data: dict[str, Any]) -> RecordedOutcome:
        """scheduling.appointment.missed.v1: the outcome is an unexcused absence."""
        return cls._read(data, VisitOutcome.ABSENT_NON_EXCUSE)

    @classmethod
    def from_correction(cls, data: dict[str, Any]) -> RecordedOutcome:
        """scheduling.appointment.outcome_corrected.v1: the outcome is the corrected one."""
        if data["status"] not in OUTCOMES:
            raise FeeEventInvalid("unknown outcome")
        return cls._read(data, data["status"])

    @classmethod
    def _read(cls, data: dict[str, Any], status: str) -> RecordedOutcome:
        starts_at = datetime.fromisoformat(str(data["starts_at"]).replace("Z", "+00:00"))
        if starts_at.tzinfo is None:
            raise FeeEventInvalid("starts_at needs a time zone")
        version = int(data.get("version") or 0)
        return cls(data["appointment_id"], data["member_id"], starts_at.astimezone(PARIS), status, version)

    @property
    def year(self) -> int:
        return self.starts_at.year

    @property
    def fee_due(self) -> bool:
        """Only an unexcused absence is billed (docs/domain.md, « No-show »)."""
        return self.status == VisitOutcome.ABSENT_NON_EXCUSE


def supersedes(outcome: RecordedOutcome, applied_version: int | None) -> bool:
    """Whether `outcome` is newer than the one already applied (None: none yet); a repeated or late event is not."""
    return applied_version is None or outcome.version > applied_version


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


def no_show_key(appointment_id: str, version: int | None = None) -> str:
    """The source key of an appointment's no-show fee: the first one's, or (`version`) a fee billed again after
    the first was cancelled by a correction and the absence then restored."""
    return f"no_show:{appointment_id}" if version is None else f"no_show:{appointment_id}:{version}"


def no_show_cancellation_key(invoice_id: str) -> str:
    """The source key of the credit note cancelling a no-show fee whose absence was corrected."""
    return f"no_show_cancelled:{invoice_id}"


def late_hire_key(employee_id: str) -> str:
    return f"late_hire:{employee_id}"


def no_show_cancellation_label(number: str) -> str:
    """The credit note's motive (its lines repeat the fee's, dated): never the employee nor the visit's kind."""
    return f"Annulation de la facture {number} : absence corrigée par le service"


def no_show_lines(tariff: Tariff, missed: RecordedOutcome) -> tuple[LineInput, ...]:
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
