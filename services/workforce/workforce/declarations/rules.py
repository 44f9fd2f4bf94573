"""Rules of the annual headcount declaration ("Déclarer vos effectifs") and of its yearly campaign.

Staff open a campaign for a year with an entry window (1–31 January by default) and a deadline; each member
company declares its headcount as at 1 January per monitoring category, the multi-employer workers
(décret 2023-547) counted apart. The portal prefills it from the employee list; a count that differs from
the list needs a justification. Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from portal_common.errors import FieldErrors
from portal_common.formats import date_fr

from ..employees.rules import CATEGORIES

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_COUNT = 1_000_000  # what billing accepts per category
JUSTIFICATION_MAX = 500


class DeclarationStatus(StrEnum):
    """Stored status of a declaration row; a company without a row has none yet."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    INVOICED = "invoiced"


class ShownStatus(StrEnum):
    """Status a company's declaration is shown with (API codes, French labels of the seed portal)."""

    TO_ENTER = "to_enter"
    IN_PROGRESS = "in_progress"
    CONFIRMED = "confirmed"
    INVOICED = "invoiced"
    NOT_ENTERABLE = "not_enterable"


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


# Short names of the members the rules and their tests use most.
DRAFT, CONFIRMED, INVOICED = DeclarationStatus.DRAFT, DeclarationStatus.CONFIRMED, DeclarationStatus.INVOICED
TO_ENTER, IN_PROGRESS, NOT_ENTERABLE = ShownStatus.TO_ENTER, ShownStatus.IN_PROGRESS, ShownStatus.NOT_ENTERABLE
CAMPAIGN_OPEN, CAMPAIGN_CLOSED = CampaignStatus.OPEN, CampaignStatus.CLOSED
STATUS_CODES = tuple(ShownStatus)
# Confirmed or invoiced: declared, whatever the date.
DECLARED = (ShownStatus.CONFIRMED, ShownStatus.INVOICED)
STATUS_LABELS = {
    ShownStatus.TO_ENTER: "À saisir",
    ShownStatus.IN_PROGRESS: "En cours",
    ShownStatus.CONFIRMED: "Confirmée",
    ShownStatus.INVOICED: "Facturée",
    ShownStatus.NOT_ENTERABLE: "Non saisissable",
}
CAMPAIGN_STATUS_LABELS = {CampaignStatus.OPEN: "Ouverte", CampaignStatus.CLOSED: "Clôturée"}

# Situations of members.situation.changed.v1 after which a company has nobody left to declare.
CEASING_KINDS = ("cessation_activite", "plus_de_salarie", "cession_fonds", "liquidation_judiciaire")
# The members service's status of a company that left the service.
MEMBER_CLOSED = "closed"


class CampaignRejected(FieldErrors):
    """A campaign the rules refuse: French messages per field."""


class DeclarationRejected(FieldErrors):
    """Counts or justifications the rules refuse: French messages per field."""


class DeclarationRefused(Exception):
    """The declaration cannot be entered at all (window, campaign closed, already confirmed): the reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StaleDeclaration(Exception):
    """Someone else saved the declaration since the caller read it (optimistic lock)."""


@dataclass(frozen=True)
class CampaignCommand:
    year: int | None
    opens_on: date | None = None
    closes_on: date | None = None
    deadline: date | None = None


@dataclass(frozen=True)
class Campaign:
    """What the rules need of a campaign."""

    year: int
    opens_on: date
    closes_on: date
    deadline: date
    status: CampaignStatus
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Counts:
    """Headcount per category (multi-employer workers excluded) and multi-employer workers per category."""

    headcount: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    multi_employer: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))

    @property
    def total(self) -> int:
        return sum(self.headcount.values()) + sum(self.multi_employer.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"headcount": dict(self.headcount), "multi_employer": dict(self.multi_employer)}


@dataclass(frozen=True)
class DeclarationEntry:
    """What the company types: counts (None when unreadable) and a justification per category."""

    headcount: dict[str, int | None]
    multi_employer: dict[str, int | None]
    justifications: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckedDeclaration:
    counts: Counts
    justifications: dict[str, str | None]


def reference_date(year: int) -> date:
    """The day the headcount is taken: 1 January of the campaign year."""
    return date(year, 1, 1)


def default_window(year: int) -> tuple[date, date, date]:
    """1–31 January, closing at the end of the window."""
    return date(year, 1, 1), date(year, 1, 31), date(year, 1, 31)


def check_campaign(command: CampaignCommand, *, today: date, existing_years: Iterable[int]) -> Campaign:
    """A campaign for this year or the next two, window inside its year, deadline on or after the window's end."""
    errors: dict[str, str] = {}
    year = command.year
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise CampaignRejected({"year": "Indiquez l'année de la déclaration, par exemple 2027."})
    if year in set(existing_years):
        raise CampaignRejected({"year": f"La campagne {year} est déjà ouverte : une seule campagne par année."})
    if not today.year - 1 <= year <= today.year + 2:
        errors["year"] = f"Ouvrez une campagne pour {today.year - 1} à {today.year + 2}."
    default_opens_on, default_closes_on, _ = default_window(year)
    opens_on, closes_on = command.opens_on or default_opens_on, command.closes_on or default_closes_on
    deadline = command.deadline or closes_on
    if opens_on.year != year:
        errors["opens_on"] = f"La saisie doit s'ouvrir au cours de l'année {year} (effectifs au 01/01/{year})."
    if closes_on < opens_on:
        errors["closes_on"] = "La fin de la saisie ne peut pas précéder son ouverture."
    elif closes_on.year != year:
        errors["closes_on"] = f"La saisie doit se terminer au cours de l'année {year}."
    if deadline < closes_on:
        errors["deadline"] = "La date limite ne peut pas précéder la fin de la saisie."
    elif deadline.year != year:
        errors["deadline"] = f"La date limite doit tomber au cours de l'année {year}."
    if errors:
        raise CampaignRejected(errors)
    return Campaign(year=year, opens_on=opens_on, closes_on=closes_on, deadline=deadline, status=CAMPAIGN_OPEN)


def is_present_on(hire_date: date, exit_date: date | None, day: date) -> bool:
    """Under contract on `day`: hired by then and not left before it."""
    return hire_date <= day and (exit_date is None or exit_date >= day)


def tally(rows: Iterable[tuple[str, bool]]) -> Counts:
    """Counts from (category, multi-employer) pairs of the employees to declare."""
    counts = Counts()
    for category, multi_employer in rows:
        bucket = counts.multi_employer if multi_employer else counts.headcount
        bucket[category] += 1
    return counts


def is_ceased(kind: str | None, ceased_on: date | None, today: date) -> bool:
    return kind in CEASING_KINDS and ceased_on is not None and ceased_on <= today


def refusal(campaign: Campaign | None, stored_status: str | None, *, today: date, ceased: bool) -> str | None:
    """Why the company cannot enter or change its declaration today; None when it can."""
    if campaign is None:
        return "Aucune campagne de déclaration des effectifs n'est ouverte pour cette année."
    if stored_status == INVOICED:
        return f"La déclaration {campaign.year} est déjà facturée : elle ne peut plus être modifiée."
    if stored_status == CONFIRMED:
        return (
            f"La déclaration {campaign.year} est déjà confirmée : elle ne peut plus être modifiée. "
            "Contactez votre service de santé au travail pour la corriger."
        )
    if ceased:
        return "L'activité de l'entreprise a cessé : aucune déclaration des effectifs n'est à saisir."
    if campaign.status == CAMPAIGN_CLOSED:
        return None  # a late declaration: it cancels the facture d'office the closing issued (is_late)
    if today < campaign.opens_on:
        return f"La saisie de la déclaration {campaign.year} ouvrira le {date_fr(campaign.opens_on)}."
    if today > campaign.closes_on:
        return (
            f"La saisie de la déclaration {campaign.year} était ouverte jusqu'au {date_fr(campaign.closes_on)} : "
            "elle n'est plus possible."
        )
    return None


def is_late(campaign: Campaign | None, confirmed_at: datetime | None) -> bool:
    """A declaration entered, or confirmed, once its campaign was closed (« Déclaration tardive »).

    The closing billed the company a facture d'office (unless its fee was already billed): confirming the
    declaration cancels that invoice with a credit note and issues the real one, as the facture d'office
    says. A declaration confirmed before the closing is never late.
    """
    if campaign is None or campaign.status != CAMPAIGN_CLOSED:
        return False
    return confirmed_at is None or campaign.closed_at is None or confirmed_at > campaign.closed_at


LATE_LABEL = "Déclaration tardive"


def late_explanation(year: int) -> str:
    return (
        f"La campagne {year} est clôturée : votre déclaration est une déclaration tardive. Une fois confirmée, "
        f"la facture d'office {year} émise à la clôture est annulée par un avoir et la cotisation calculée sur "
        "vos effectifs déclarés est facturée à sa place."
    )


def shown_status(campaign: Campaign | None, stored_status: str | None, *, today: date, ceased: bool) -> ShownStatus:
    """Facturée / Confirmée whatever the date; otherwise Non saisissable outside the window, En cours, À saisir."""
    if stored_status in (INVOICED, CONFIRMED):
        return ShownStatus(stored_status)
    if refusal(campaign, stored_status, today=today, ceased=ceased) is not None:
        return NOT_ENTERABLE
    return IN_PROGRESS if stored_status == DRAFT else TO_ENTER


def _count(value: int | None, name: str, what: str, errors: dict[str, str]) -> int:
    if value is None or isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        errors[name] = f"{what} : saisissez un nombre entier de 0 à {MAX_COUNT:,}.".replace(",", "\u202f")
        return 0
    return value


def check_declaration(entry: DeclarationEntry, expected: Counts, *, confirming: bool) -> CheckedDeclaration:
    """Whole numbers from 0; a justification per category whose counts differ from the list (to confirm).

    A draft may be saved before the justifications are written; confirming needs all of them.
    """
    errors: dict[str, str] = {}
    headcount: dict[str, int] = {}
    multi: dict[str, int] = {}
    justifications: dict[str, str | None] = {}
    for category in CATEGORIES:
        headcount[category] = _count(
            entry.headcount.get(category), f"headcount_{category}", f"Salariés en {category}", errors
        )
        multi[category] = _count(
            entry.multi_employer.get(category),
            f"multi_employer_{category}",
            f"Salariés multi-employeurs en {category}",
            errors,
        )
        text = " ".join((entry.justifications.get(category) or "").split())
        differs = (headcount[category], multi[category]) != (
            expected.headcount[category],
            expected.multi_employer[category],
        )
        name = f"justification_{category}"
        if len(text) > JUSTIFICATION_MAX:
            errors[name] = f"La justification ne doit pas dépasser {JUSTIFICATION_MAX} caractères."
        elif (
            differs
            and not text
            and confirming
            and f"headcount_{category}" not in errors
            and f"multi_employer_{category}" not in errors
        ):
            errors[name] = (
                f"Justifiez l'écart avec la liste des salariés en {category} au 1er janvier "
                f"({expected.headcount[category]} salarié(s) et {expected.multi_employer[category]} "
                "salarié(s) multi-employeurs dans la liste)."
            )
        justifications[category] = (text or None) if differs else None
    if errors:
        raise DeclarationRejected(errors)
    return CheckedDeclaration(Counts(headcount, multi), justifications)
