"""The code sets of an employee record (stored values), each named once."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    F = "F"
    M = "M"


class ListStatus(StrEnum):
    """Who a list shows: those employed today, those hired from a later date, those who left, or all. An employee
    is PRESENT, UPCOMING (« à venir »: hired from a date after today, counted from that date) or LEFT."""

    PRESENT = "present"
    UPCOMING = "upcoming"
    LEFT = "left"
    ALL = "all"


class HistoryKind(StrEnum):
    """What a line of an employee's history records."""

    HIRED = "hired"
    CORRECTED = "corrected"
    POST_CHANGED = "post_changed"
    EXITED = "exited"
    RECLASSIFIED = "reclassified"


SEXES = tuple(Sex)
STATUSES = tuple(ListStatus)
CONTRACTS = ("CDI", "CDD", "apprentissage", "professionnalisation", "interim", "stage", "autre")
EXIT_REASONS = (
    "fin_cdd",
    "demission",
    "licenciement",
    "rupture_conventionnelle",
    "retraite",
    "fin_periode_essai",
    "fin_mission",
    "mutation",
    "autre",
)
