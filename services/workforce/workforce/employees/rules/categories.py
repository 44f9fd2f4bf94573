"""Monitoring determinants (work conditions and exposures, never health data) and the SI/SIA/SIR category.

The category is computed, never typed in: each ticked determinant gives a category with its legal
reference, the highest wins, and the reasons are kept to be shown beside the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal_common.vocabulary import MonitoringCategory

CATEGORY_RANK = {MonitoringCategory.SI: 0, MonitoringCategory.SIA: 1, MonitoringCategory.SIR: 2}
CATEGORIES = tuple(MonitoringCategory)
# What the local policy may class the 2025 determinants as.
AUTHORISATION_CATEGORIES = (MonitoringCategory.SI, MonitoringCategory.SIA)
ADULT_AGE = 18
# The two determinants the décret 2025-355 took out of SIR; how they are classed is a local choice.
AUTHORISATIONS = ("autorisation_conduite", "habilitation_electrique")
SIR_BY_EMPLOYER = "sir_employeur"
JUSTIFICATION_MAX = 500


@dataclass(frozen=True)
class Determinant:
    """A work condition or exposure the employer ticks; `category` None = set by the local policy."""

    code: str
    label: str
    reference: str
    category: MonitoringCategory | None


DETERMINANTS = (
    Determinant("amiante", "Exposition à l'amiante", "art. R4624-23 I", MonitoringCategory.SIR),
    Determinant("plomb", "Exposition au plomb", "art. R4624-23 I et R4412-160", MonitoringCategory.SIR),
    Determinant(
        "cmr",
        "Agents cancérogènes, mutagènes ou toxiques pour la reproduction (CMR)",
        "art. R4624-23 I et R4412-60",
        MonitoringCategory.SIR,
    ),
    Determinant("biologique_3_4", "Agents biologiques des groupes 3 et 4", "art. R4624-23 I", MonitoringCategory.SIR),
    Determinant(
        "rayonnements_a",
        "Rayonnements ionisants, travailleur de catégorie A",
        "art. R4624-23 I et R4451-82",
        MonitoringCategory.SIR,
    ),
    Determinant(
        "rayonnements_b",
        "Rayonnements ionisants, travailleur de catégorie B",
        "art. R4624-23 I",
        MonitoringCategory.SIR,
    ),
    Determinant("hyperbare", "Travail en milieu hyperbare", "art. R4624-23 I", MonitoringCategory.SIR),
    Determinant(
        "echafaudages",
        "Montage et démontage d'échafaudages (risque de chute de hauteur)",
        "art. R4624-23 I",
        MonitoringCategory.SIR,
    ),
    Determinant(
        "jeunes_derogation",
        "Jeune travailleur affecté à des travaux réglementés (dérogation)",
        "art. R4153-40",
        MonitoringCategory.SIR,
    ),
    Determinant(
        SIR_BY_EMPLOYER,
        "Poste ajouté à la liste SIR par l'employeur (avec justification)",
        "art. R4624-23 III",
        MonitoringCategory.SIR,
    ),
    Determinant("travail_nuit", "Travail de nuit", "art. L3122-5 et R4624-18", MonitoringCategory.SIA),
    Determinant(
        "champs_electromagnetiques",
        "Champs électromagnétiques au-delà des valeurs limites d'exposition",
        "art. R4453-25",
        MonitoringCategory.SIA,
    ),
    Determinant("biologique_2", "Agents biologiques du groupe 2", "art. R4624-18", MonitoringCategory.SIA),
    Determinant(
        "autorisation_conduite",
        "Conduite d'équipements nécessitant une autorisation de conduite",
        "art. R4323-56",
        None,
    ),
    Determinant(
        "habilitation_electrique",
        "Opérations sur installations électriques nécessitant une habilitation",
        "art. R4544-10",
        None,
    ),
)
BY_CODE = {d.code: d for d in DETERMINANTS}
MINOR_REASON = ("Salarié de moins de 18 ans", "art. R4624-18")
UNDISCLOSED_REASON = ("Suivi adapté déclaré par l'employeur, motif non communiqué", "art. R4624-17")
DEFAULT_REASON = ("Aucun déterminant : suivi individuel simple", "art. R4624-10")


@dataclass(frozen=True)
class CategoryPolicy:
    """The local choice for the 2025 determinants: SI or SIA, optionally shown under a label such as "SIH"."""

    authorisation_category: MonitoringCategory = MonitoringCategory.SIA
    authorisation_label: str | None = None

    def __post_init__(self) -> None:
        if self.authorisation_category not in AUTHORISATION_CATEGORIES:
            raise ValueError("the 2025 determinants are classed SI or SIA")


@dataclass(frozen=True)
class Reason:
    category: MonitoringCategory
    label: str
    reference: str
    code: str | None = None

    @property
    def text(self) -> str:
        return f"{self.label} ({self.reference}) : {self.category}"


@dataclass(frozen=True)
class Classification:
    """`category` is the legal one (SI, SIA, SIR) used by events and counts; `label` is what pages show."""

    category: MonitoringCategory
    label: str
    reasons: tuple[Reason, ...]


def turns_adult_on(birth_date: date) -> date:
    try:
        return birth_date.replace(year=birth_date.year + ADULT_AGE)
    except ValueError:  # born on 29 February
        return date(birth_date.year + ADULT_AGE, 3, 1)


def is_minor(birth_date: date | None, on: date) -> bool:
    return birth_date is not None and on < turns_adult_on(birth_date)


def ordered(codes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The codes once each, in the order of the list (unknown ones last, for the error message)."""
    wanted = set(codes)
    return tuple(d.code for d in DETERMINANTS if d.code in wanted) + tuple(
        dict.fromkeys(code for code in codes if code not in BY_CODE)
    )


def unknown_determinants(codes: list[str] | tuple[str, ...]) -> list[str]:
    return [code for code in codes if code not in BY_CODE]


def classify(
    determinants: list[str] | tuple[str, ...],
    *,
    birth_date: date | None,
    on: date,
    adapted_undisclosed: bool = False,
    policy: CategoryPolicy = CategoryPolicy(),
) -> Classification:
    """The category on day `on`, with every reason from highest to lowest; unknown codes are ignored."""
    reasons = [
        Reason(d.category or policy.authorisation_category, d.label, d.reference, d.code)
        for d in DETERMINANTS
        if d.code in set(determinants)
    ]
    if is_minor(birth_date, on):
        reasons.append(Reason(MonitoringCategory.SIA, *MINOR_REASON))
    if adapted_undisclosed:
        reasons.append(Reason(MonitoringCategory.SIA, *UNDISCLOSED_REASON))
    if not reasons:
        return Classification(
            MonitoringCategory.SI, MonitoringCategory.SI, (Reason(MonitoringCategory.SI, *DEFAULT_REASON),)
        )
    reasons.sort(key=lambda r: -CATEGORY_RANK[r.category])  # stable: the list order within a category
    category = reasons[0].category
    label: str = category
    deciding = [r for r in reasons if r.category == category]
    if policy.authorisation_label and all(r.code in AUTHORISATIONS for r in deciding):
        label = policy.authorisation_label
    return Classification(category, label, tuple(reasons))


def base_category(
    determinants: list[str] | tuple[str, ...], *, adapted_undisclosed: bool, policy: CategoryPolicy
) -> MonitoringCategory:
    """The category without the age rule: stored, so that lists can filter as employees come of age."""
    return classify(
        determinants, birth_date=None, on=date.min, adapted_undisclosed=adapted_undisclosed, policy=policy
    ).category


def sir_for_authorisations_only(determinants: list[str] | tuple[str, ...], category: str) -> bool:
    """Classed SIR while the only exposures are the ones the 2025 reform took out of SIR."""
    exposures = [code for code in determinants if code in BY_CODE]
    return category == MonitoringCategory.SIR and bool(exposures) and all(code in AUTHORISATIONS for code in exposures)


def check_determinants(codes: list[str] | tuple[str, ...], justification: str | None) -> dict[str, str]:
    """French messages: unknown codes, and the R4624-23 III justification the employer must give."""
    errors: dict[str, str] = {}
    if unknown_determinants(codes):
        errors["determinants"] = "Déterminant inconnu : choisissez dans la liste proposée."
    text = " ".join((justification or "").split())
    if SIR_BY_EMPLOYER in codes and not text:
        errors["sir_justification"] = "Justifiez l'ajout du poste à la liste SIR (motif lié au poste, jamais médical)."
    elif len(text) > JUSTIFICATION_MAX:
        errors["sir_justification"] = f"La justification ne doit pas dépasser {JUSTIFICATION_MAX} caractères."
    return errors
