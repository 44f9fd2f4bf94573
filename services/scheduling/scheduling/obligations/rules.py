"""Visit obligations: which visits an employee is due and by when, from one table of rules (docs/domain.md).

Plain Python: the facts come from workforce's events and the realised appointments; the periods are
configuration whose defaults are the legal maxima.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from portal_common.vocabulary import MonitoringCategory

from ..appointments.rules import VisitType


class Urgency(StrEnum):
    EN_RETARD = "en_retard"
    A_PLANIFIER = "a_planifier"
    A_VENIR = "a_venir"


# Visits that start or renew the periodic follow-up (R4624-16, -17, -28).
FOLLOW_UP_VISITS = frozenset({VisitType.EMBAUCHE, VisitType.APTITUDE, VisitType.PERIODIQUE})
# For SIR, the renewal counts only when the médecin du travail did it (R4624-28).
MEDICAL_VISITS = frozenset({VisitType.APTITUDE, VisitType.PERIODIQUE})
# Contracts whose initial visit comes within vip_apprentice_months.
APPRENTICE_CONTRACTS = frozenset({"apprentissage"})

# The worker may ask for the post-exposure visit from one month before leaving (R4624-28-2).
POST_EXPOSURE_EARLIEST_DAYS = 31
# The aptitude exam is often done shortly before the hire or the new post: it still counts.
EXAM_ADVANCE_DAYS = 90
# Days left before a due date from which the obligation is shown as "à planifier".
SOON_DAYS = 90
# Workforce's determinants (work conditions, never health data) that call for the VIP before the post:
# night work (R4624-18), electromagnetic fields above the VLE (R4453-25), biological agents group 2 (OPPBTP).
BEFORE_ASSIGNMENT_DETERMINANTS = frozenset({"travail_nuit", "champs_electromagnetiques", "biologique_2"})


def needs_visit_before_assignment(determinants: Iterable[str]) -> bool:
    return bool(BEFORE_ASSIGNMENT_DETERMINANTS & set(determinants))


@dataclass(frozen=True)
class Periods:
    """Configurable periods; the defaults are the legal ones (R4624-10, -16, -17, -28, L4624-2-2)."""

    vip_months: int = 3
    vip_apprentice_months: int = 2
    si_renewal_years: int = 5
    sia_renewal_years: int = 3
    sir_renewal_years: int = 4
    sir_intermediate_years: int = 2
    mid_career_age: int = 45
    # Post-exposure visit: "dans les meilleurs délais" after a SIR worker leaves; 0 = due on the exit date.
    post_exposure_days: int = 0
    # A reprise visit happens at the latest 8 days after the return (R4624-31).
    reprise_days: int = 8


@dataclass(frozen=True)
class VisitHistory:
    """Realised visits that matter to the rules (dates only: nothing about their outcome)."""

    last_follow_up_on: date | None = None
    last_medical_on: date | None = None
    mid_career_done_on: date | None = None
    post_exposure_done_on: date | None = None


@dataclass(frozen=True)
class EmployeeFacts:
    birth_date: date
    hire_date: date
    category: str  # a MonitoringCategory
    # Since when the current category applies (the hire date, or the day workforce reported the change).
    category_since: date
    apprentice: bool = False
    # Night work, EMF above the VLE, biological agents group 2…: a VIP before taking up the post (R4624-18).
    before_assignment: bool = False
    exit_date: date | None = None
    was_reinforced: bool = False
    # The day a worker still employed moved from a SIR post to a post out of SIR (his exposure ended).
    sir_ended_on: date | None = None
    history: VisitHistory = VisitHistory()


@dataclass(frozen=True)
class Obligation:
    rule: str
    visit_type: str
    due_on: date
    before_post: bool = False


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 January + 1 month = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def is_minor_on(facts: EmployeeFacts, day: date) -> bool:
    return day < add_years(facts.birth_date, 18)


def _active(facts: EmployeeFacts) -> bool:
    return facts.exit_date is None


def _never_followed(facts: EmployeeFacts) -> bool:
    return facts.history.last_follow_up_on is None


def _in(*categories: str) -> Callable[[EmployeeFacts], bool]:
    return lambda facts: facts.category in categories


def _before_assignment(facts: EmployeeFacts) -> bool:
    return facts.before_assignment or is_minor_on(facts, facts.hire_date)


def _sir_without_medical_exam(facts: EmployeeFacts) -> bool:
    last = facts.history.last_medical_on
    return last is None or last < facts.category_since - timedelta(days=EXAM_ADVANCE_DAYS)


def _renewal(years: Callable[[Periods], int]) -> Callable[[EmployeeFacts, Periods], date]:
    return lambda facts, periods: add_years(facts.history.last_follow_up_on, years(periods))  # type: ignore[arg-type]


def _mid_career_year(facts: EmployeeFacts, periods: Periods) -> int:
    return facts.birth_date.year + periods.mid_career_age


def _intermediate_pending(facts: EmployeeFacts) -> bool:
    """A SIR worker seen by the médecin, with no other visit since: the intermediate visit is still to do."""
    history = facts.history
    return history.last_medical_on is not None and history.last_follow_up_on == history.last_medical_on


def exposure_end(facts: EmployeeFacts) -> date | None:
    """When a SIR worker's exposure ended: leaving the company in SIR, or moving to a post out of SIR."""
    if facts.exit_date is not None and facts.was_reinforced:
        return facts.exit_date
    if facts.sir_ended_on is not None and facts.category != MonitoringCategory.SIR:
        return facts.sir_ended_on
    return None


def _post_exposure_pending(facts: EmployeeFacts) -> bool:
    """A SIR exposure that ended, without a post-exposure visit in the month before the end or since."""
    end = exposure_end(facts)
    if end is None:
        return False
    done = facts.history.post_exposure_done_on
    return done is None or done < end - timedelta(days=POST_EXPOSURE_EARLIEST_DAYS)


def _post_exposure_due(facts: EmployeeFacts, periods: Periods) -> date:
    end = exposure_end(facts)
    if end is None:  # never: the rule applies only once the exposure has ended
        raise ValueError("no exposure end")
    return end + timedelta(days=periods.post_exposure_days)


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    visit_type: str
    applies: Callable[[EmployeeFacts, Periods], bool]
    due: Callable[[EmployeeFacts, Periods], date]
    before_post: bool = False


# Short names for the table below.
SI, SIA, SIR = MonitoringCategory.SI, MonitoringCategory.SIA, MonitoringCategory.SIR

# The table: each line says when an obligation exists and its due date. Order = display order.
RULES: tuple[Rule, ...] = (
    Rule(
        "vip_avant_affectation",
        "VIP avant l'affectation au poste",
        VisitType.EMBAUCHE,
        lambda f, p: _active(f) and _in(SI, SIA)(f) and _never_followed(f) and _before_assignment(f),
        lambda f, p: f.hire_date,
        before_post=True,
    ),
    Rule(
        "vip_apprenti",
        "VIP initiale (apprenti : 2 mois)",
        VisitType.EMBAUCHE,
        lambda f, p: (
            _active(f) and _in(SI, SIA)(f) and _never_followed(f) and not _before_assignment(f) and f.apprentice
        ),
        lambda f, p: add_months(f.hire_date, p.vip_apprentice_months),
    ),
    Rule(
        "vip_initiale",
        "VIP initiale (3 mois)",
        VisitType.EMBAUCHE,
        lambda f, p: (
            _active(f) and _in(SI, SIA)(f) and _never_followed(f) and not _before_assignment(f) and not f.apprentice
        ),
        lambda f, p: add_months(f.hire_date, p.vip_months),
    ),
    Rule(
        "examen_aptitude",
        "Examen médical d'aptitude avant l'affectation (SIR)",
        VisitType.APTITUDE,
        lambda f, p: _active(f) and _in(SIR)(f) and _sir_without_medical_exam(f),
        lambda f, p: f.category_since,
        before_post=True,
    ),
    Rule(
        "periodique_si",
        "Renouvellement du suivi individuel",
        VisitType.PERIODIQUE,
        lambda f, p: _active(f) and _in(SI)(f) and not _never_followed(f),
        _renewal(lambda p: p.si_renewal_years),
    ),
    Rule(
        "periodique_sia",
        "Renouvellement du suivi individuel adapté",
        VisitType.PERIODIQUE,
        lambda f, p: _active(f) and _in(SIA)(f) and not _never_followed(f),
        _renewal(lambda p: p.sia_renewal_years),
    ),
    Rule(
        "periodique_sir",
        "Renouvellement du suivi renforcé par le médecin du travail",
        VisitType.PERIODIQUE,
        lambda f, p: _active(f) and _in(SIR)(f) and not _sir_without_medical_exam(f),
        # The condition above holds only once a medical exam happened: the date is set.
        lambda f, p: add_years(f.history.last_medical_on, p.sir_renewal_years),  # type: ignore[arg-type]
    ),
    Rule(
        "intermediaire_sir",
        "Visite intermédiaire du suivi renforcé",
        VisitType.PERIODIQUE,
        lambda f, p: _active(f) and _in(SIR)(f) and not _sir_without_medical_exam(f) and _intermediate_pending(f),
        # The condition above holds only once a medical exam happened: the date is set.
        lambda f, p: add_years(f.history.last_medical_on, p.sir_intermediate_years),  # type: ignore[arg-type]
    ),
    Rule(
        "mi_carriere",
        "Visite de mi-carrière (année des 45 ans)",
        VisitType.MI_CARRIERE,
        lambda f, p: _active(f) and f.history.mid_career_done_on is None and f.hire_date.year <= _mid_career_year(f, p),
        lambda f, p: date(_mid_career_year(f, p), 12, 31),
    ),
    Rule(
        "post_exposition",
        "Visite de fin d'exposition (départ ou changement de poste d'un salarié en SIR)",
        VisitType.POST_EXPOSITION,
        lambda f, p: _post_exposure_pending(f),
        _post_exposure_due,
    ),
)
RULE_LABELS = {rule.code: rule.label for rule in RULES}


def compute_obligations(facts: EmployeeFacts, periods: Periods = Periods()) -> list[Obligation]:
    """Every visit the employee is due, recomputed from scratch (a category change just recomputes)."""
    return [
        Obligation(rule.code, rule.visit_type, rule.due(facts, periods), rule.before_post)
        for rule in RULES
        if rule.applies(facts, periods)
    ]


def urgency(due_on: date, today: date) -> Urgency:
    """En retard past the due date, à planifier within SOON_DAYS, otherwise à venir."""
    if due_on < today:
        return Urgency.EN_RETARD
    if due_on <= today + timedelta(days=SOON_DAYS):
        return Urgency.A_PLANIFIER
    return Urgency.A_VENIR


URGENCY_LABELS = {Urgency.EN_RETARD: "En retard", Urgency.A_PLANIFIER: "À planifier", Urgency.A_VENIR: "À venir"}
URGENCY_BADGES = {
    Urgency.EN_RETARD: "badge-danger",
    Urgency.A_PLANIFIER: "badge-warning",
    Urgency.A_VENIR: "badge-neutral",
}
