"""Values that travel between services in events, named once: a consumer stores them as the producer sent them.

The producer owns the meaning (workforce computes the monitoring category, members decides a member's status);
the catalogue's JSON Schemas list the same values.
"""

from __future__ import annotations

from enum import StrEnum


class MonitoringCategory(StrEnum):
    """The legal follow-up of an employee (Code du travail R4624-10 ff.), computed by workforce."""

    SI = "SI"  # suivi individuel
    SIA = "SIA"  # suivi individuel adapté
    SIR = "SIR"  # suivi individuel renforcé


class MemberStatus(StrEnum):
    """A member company's standing with the service, decided by members."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


MEMBER_STATUS_LABELS: dict[MemberStatus, str] = {
    MemberStatus.ACTIVE: "Actif",
    MemberStatus.SUSPENDED: "Suspendu",
    MemberStatus.CLOSED: "Radié",
}


class VisitOutcome(StrEnum):
    """What staff noted of a held visit, decided by scheduling (its missed and outcome-corrected events)."""

    REALISEE = "realisee"
    ABSENT_EXCUSE = "absent_excuse"
    ABSENT_NON_EXCUSE = "absent_non_excuse"
