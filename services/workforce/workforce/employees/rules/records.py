"""Rules of hiring, correcting, moving and exiting an employee: each command checked, with French messages."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Protocol

from portal_common.errors import Conflict, FieldErrors
from portal_common.validators import compact

from .categories import SIR_BY_EMPLOYER, check_determinants, ordered
from .codes import CONTRACTS, EXIT_REASONS, SEXES, ListStatus
from .names import fold
from .nir import check_nir, nir_contradictions

ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # uuid4 as str() writes it
ID_RE = re.compile(ID_PATTERN)
MINIMUM_HIRING_AGE = 15
# A hire dated further ahead is refused as a probable typo (2030 for 2025): contracts are signed months ahead,
# not years.
MAX_HIRE_AHEAD_MONTHS = 12
NAME_MAX, FIRST_NAMES_MAX, POST_MAX, NOTE_MAX = 100, 150, 200, 500  # the column sizes
PCS_CODE_RE = re.compile(r"^[0-9]{3}[a-z]$")
# The INSEE code of the commune of birth: 5 characters, Corsica 2A/2B, overseas 97x/98x are digits.
COMMUNE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
# The INSEE code of a foreign country (99xxx); 99100 is France itself.
COUNTRY_CODE_RE = re.compile(r"^99\d{3}$")
FRANCE_CODE = "99100"
COUNTRY_MAX = 100


class Communes(Protocol):
    """The commune list (`employees.communes.CommuneDirectory`): a birthplace typed by name or code → its INSEE
    code, or the French message (a postal code, an ambiguous name, an unknown code)."""

    def resolve(
        self, typed: str, *, nir_place: str | None = None, keep: str | None = None
    ) -> tuple[str | None, str | None]: ...


class HireRejected(FieldErrors):
    """A hire the rules refuse: French messages per field, shown next to the fields."""


DUPLICATE_NIR = "Un salarié présent dans l'entreprise porte déjà ce numéro de sécurité sociale."
ALREADY_LEFT = "Ce salarié est déjà sorti."


class DuplicateEmployee(HireRejected, Conflict):
    """A present employee of the company already has this NIR: a 409 naming him (a retried hire finds its
    employee), shown next to the NIR on the pages."""

    reason = "employee_already_present"

    def __init__(self, existing_id: str | None):
        super().__init__({"nir": DUPLICATE_NIR}, existing_id=existing_id)


class AlreadyLeft(HireRejected, Conflict):
    """A second exit of one employment (two tabs, a retried call): the first one stands (409)."""

    reason = "employee_already_left"

    def __init__(self, employee_id: str):
        super().__init__({"exit_date": ALREADY_LEFT}, existing_id=employee_id)


class StaleEmployee(Exception):
    """A correction based on a version of the record that someone else has changed since (nothing written)."""

    def __init__(self, current_version: int):
        super().__init__(f"employee changed since version read (now {current_version})")
        self.current_version = current_version


STALE_EMPLOYEE = (
    "La fiche a été modifiée par quelqu'un d'autre depuis que vous l'avez ouverte : rien n'a été enregistré. "
    "Comparez avec la version actuelle ci-dessous, puis enregistrez à nouveau."
)
KEEP_STORED_NIR = "Laissez le champ vide pour garder le numéro enregistré, ou saisissez le nouveau numéro en entier."


@dataclass(frozen=True)
class HireCommand:
    """What the employer declares when an employee joins the company (also used to correct the record)."""

    last_name: str
    first_names: str
    sex: str
    birth_date: date | None  # None when the form's date could not be read
    nir: str = field(repr=False)  # never printed, even in a traceback
    hire_date: date | None
    post: str
    contract: str
    birth_name: str | None = None
    pcs_code: str | None = None
    multi_employer: bool = False
    determinants: tuple[str, ...] = ()
    sir_justification: str | None = None
    adapted_undisclosed: bool = False
    convocation_constraints: str | None = None
    comment: str | None = None
    birth_commune: str | None = None  # INSEE code of the commune of birth in France ('14118', '2A004', '97411')
    birth_country: str | None = None  # born abroad: the country's name or INSEE code (99xxx)


@dataclass(frozen=True)
class PostChange:
    """A new post from a date ("nouveau poste"), with the determinants of that post."""

    post: str
    from_date: date | None
    pcs_code: str | None = None
    determinants: tuple[str, ...] = ()
    sir_justification: str | None = None
    adapted_undisclosed: bool = False


@dataclass(frozen=True)
class ExitCommand:
    exit_date: date | None
    reason: str


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 January + 1 month = end of February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """The same day `years` later; someone born on 29 February has a birthday on 1 March otherwise."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def _check_post(post: str, pcs_code: str | None, errors: dict[str, str]) -> None:
    if not post:
        errors["post"] = "Le poste de travail est obligatoire."
    elif len(post) > POST_MAX:
        errors["post"] = f"Le poste de travail ne doit pas dépasser {POST_MAX} caractères."
    if pcs_code and not PCS_CODE_RE.match(pcs_code):
        errors["pcs_code"] = "Le code PCS-ESE doit comporter 3 chiffres et une lettre, par exemple 552a."


def _check_note(name: str, text: str, what: str, errors: dict[str, str]) -> None:
    if len(text) > NOTE_MAX:
        errors[name] = f"{what} ne doit pas dépasser {NOTE_MAX} caractères."


def check_hire(
    command: HireCommand, *, today: date, communes: Communes | None = None, stored_commune: str | None = None
) -> HireCommand:
    """Normalise and validate a hire; raises HireRejected with every problem at once.

    With `communes` (the forms and the API), the commune of birth may be typed by name, « Name (code) » or
    code, and is looked up in the list; `stored_commune` is the record's own code, kept though not in the list.
    Imports give INSEE codes and go without it."""
    errors: dict[str, str] = {}
    last_name = _clean(command.last_name).upper()
    birth_name = _clean(command.birth_name).upper() or last_name
    first_names = _clean(command.first_names)
    nir = compact(command.nir)
    pcs_code = _clean(command.pcs_code).lower() or None
    post = _clean(command.post)
    determinants = ordered(command.determinants)
    justification = _clean(command.sir_justification) if SIR_BY_EMPLOYER in determinants else ""
    constraints, comment = _clean(command.convocation_constraints), _clean(command.comment)
    if not last_name:
        errors["last_name"] = "Le nom d'usage est obligatoire."
    elif len(last_name) > NAME_MAX:
        errors["last_name"] = f"Le nom d'usage ne doit pas dépasser {NAME_MAX} caractères."
    if len(birth_name) > NAME_MAX:
        errors["birth_name"] = f"Le nom de naissance ne doit pas dépasser {NAME_MAX} caractères."
    if not first_names:
        errors["first_names"] = "Le prénom est obligatoire."
    elif len(first_names) > FIRST_NAMES_MAX:
        errors["first_names"] = f"Les prénoms ne doivent pas dépasser {FIRST_NAMES_MAX} caractères."
    if command.sex not in SEXES:
        errors["sex"] = "Le sexe doit être F (femme) ou M (homme)."
    if command.birth_date is None:
        errors["birth_date"] = "La date de naissance est obligatoire (jj/mm/aaaa)."
    elif command.birth_date > today:
        errors["birth_date"] = "La date de naissance ne peut pas être dans le futur."
    nir_error = check_nir(nir)
    if nir_error:
        errors["nir"] = nir_error
    typed_commune = command.birth_commune
    if communes is not None and _clean(typed_commune) and not command.birth_country:
        # The NIR's characters 6 to 10 name the commune of birth: they tell a postal code from an INSEE code.
        nir_place = nir[5:10] if nir_error is None and nir[5:7] != "99" else None
        typed_commune, problem = communes.resolve(_clean(typed_commune), nir_place=nir_place, keep=stored_commune)
        if problem:
            errors["birth_commune"] = problem
    birth_commune, birth_country = _check_birth_place(typed_commune, command.birth_country, errors)
    if command.hire_date is None:
        errors["hire_date"] = "La date d'embauche est obligatoire (jj/mm/aaaa)."
    elif command.birth_date is not None and command.hire_date < add_years(command.birth_date, MINIMUM_HIRING_AGE):
        errors["hire_date"] = "Le salarié doit avoir au moins 15 ans à l'embauche."
    elif command.hire_date > add_months(today, MAX_HIRE_AHEAD_MONTHS):
        errors["hire_date"] = (
            f"La date d'embauche ({command.hire_date:%d/%m/%Y}) est à plus de {MAX_HIRE_AHEAD_MONTHS} mois : "
            "vérifiez l'année. Une embauche future se déclare au plus 12 mois à l'avance."
        )
    _check_post(post, pcs_code, errors)
    if command.contract not in CONTRACTS:
        errors["contract"] = "Type de contrat inconnu."
    errors.update(check_determinants(determinants, justification))
    _check_note("convocation_constraints", constraints, "Les contraintes de convocation", errors)
    _check_note("comment", comment, "Le commentaire", errors)
    if errors:
        raise HireRejected(errors)
    return replace(
        command,
        last_name=last_name,
        birth_name=birth_name,
        first_names=first_names,
        nir=nir,
        pcs_code=pcs_code,
        post=post,
        multi_employer=bool(command.multi_employer),
        determinants=determinants,
        sir_justification=justification or None,
        adapted_undisclosed=bool(command.adapted_undisclosed),
        convocation_constraints=constraints or None,
        comment=comment or None,
        birth_commune=birth_commune,
        birth_country=birth_country,
    )


def check_nir_agreement(hire: HireCommand) -> HireCommand:
    """Refuses a hire or a correction whose NIR disagrees with the sex, the birth year and month or the place
    of birth typed beside it. `hire` has been through `check_hire`, so the NIR is well formed."""
    errors = nir_contradictions(hire.nir, hire.sex, hire.birth_date, hire.birth_commune, hire.birth_country)
    if errors:
        raise HireRejected(errors)
    return hire


def _check_birth_place(
    commune: str | None, country: str | None, errors: dict[str, str]
) -> tuple[str | None, str | None]:
    """Exactly one of the commune of birth (INSEE code) and the country of birth (born abroad), normalised."""
    commune_code = "".join((commune or "").split()).upper() or None
    country_text = _clean(country) or None
    if country_text and COUNTRY_CODE_RE.match(country_text.replace(" ", "")):
        country_text = country_text.replace(" ", "")
    if commune_code is None and country_text is None:
        errors.setdefault(
            "birth_commune",
            "Le lieu de naissance est obligatoire : indiquez la commune de naissance (son nom ou son code "
            "INSEE), ou le pays de naissance si le salarié est né à l'étranger.",
        )
    elif commune_code is not None and country_text is not None:
        errors["birth_country"] = (
            "Indiquez soit la commune de naissance (né en France), soit le pays de "
            "naissance (né à l'étranger), pas les deux."
        )
    elif commune_code is not None and not COMMUNE_RE.match(commune_code) and "birth_commune" not in errors:
        errors["birth_commune"] = (
            "Le code INSEE de la commune de naissance comporte 5 caractères, par exemple "
            "14118 (Caen) ou 2A004 (Ajaccio)."
        )
    elif country_text is not None:
        if country_text == FRANCE_CODE or fold(country_text) == "france":
            errors["birth_country"] = (
                "Pour un salarié né en France, indiquez le code INSEE de sa commune de naissance plutôt que le pays."
            )
        elif country_text[:1].isdigit() and not COUNTRY_CODE_RE.match(country_text):
            errors["birth_country"] = (
                "Le code INSEE d'un pays comporte 5 chiffres commençant par 99, par "
                "exemple 99350 (Maroc) ; vous pouvez aussi écrire le nom du pays."
            )
        elif len(country_text) > COUNTRY_MAX:
            errors["birth_country"] = f"Le pays de naissance ne doit pas dépasser {COUNTRY_MAX} caractères."
    return commune_code, country_text


def check_post_change(
    change: PostChange, *, current_from: date, hire_date: date, exit_date: date | None, today: date
) -> PostChange:
    """A new post starts after the current one began, not in the future, and while still employed."""
    errors: dict[str, str] = {}
    post = _clean(change.post)
    pcs_code = _clean(change.pcs_code).lower() or None
    determinants = ordered(change.determinants)
    justification = _clean(change.sir_justification) if SIR_BY_EMPLOYER in determinants else ""
    _check_post(post, pcs_code, errors)
    if change.from_date is None:
        errors["from_date"] = "La date de début du nouveau poste est obligatoire (jj/mm/aaaa)."
    elif change.from_date > today:
        errors["from_date"] = "Le nouveau poste ne peut pas commencer dans le futur : déclarez-le à sa date."
    elif change.from_date <= max(current_from, hire_date):
        errors["from_date"] = "Le nouveau poste doit commencer après le début du poste actuel."
    elif exit_date is not None and change.from_date > exit_date:
        errors["from_date"] = "Le nouveau poste ne peut pas commencer après la sortie du salarié."
    errors.update(check_determinants(determinants, justification))
    if errors:
        raise HireRejected(errors)
    return replace(
        change,
        post=post,
        pcs_code=pcs_code,
        determinants=determinants,
        sir_justification=justification or None,
        adapted_undisclosed=bool(change.adapted_undisclosed),
    )


def check_exit(
    command: ExitCommand, *, hire_date: date, already_left: date | None, employee_id: str = ""
) -> ExitCommand:
    if already_left is not None:
        raise AlreadyLeft(employee_id)
    errors: dict[str, str] = {}
    if command.exit_date is None:
        errors["exit_date"] = "La date de sortie est obligatoire (jj/mm/aaaa)."
    elif command.exit_date < hire_date:
        errors["exit_date"] = "La date de sortie ne peut pas précéder la date d'embauche."
    if command.reason not in EXIT_REASONS:
        errors["reason"] = "Choisissez le motif de sortie."
    if errors:
        raise HireRejected(errors)
    return command


def check_correction(hire: HireCommand, *, exit_date: date | None) -> HireCommand:
    """A corrected record of someone who left keeps a hire date on or before the exit date."""
    if exit_date is not None and hire.hire_date is not None and hire.hire_date > exit_date:
        raise HireRejected(
            {"hire_date": f"La date d'embauche ne peut pas suivre la date de sortie ({exit_date:%d/%m/%Y})."}
        )
    return hire


def list_status(hire_date: date, exit_date: date | None, today: date) -> ListStatus:
    """À venir before the hire date, present from it up to and including the exit date, left after."""
    if exit_date is not None and exit_date < today:
        return ListStatus.LEFT
    return ListStatus.UPCOMING if hire_date > today else ListStatus.PRESENT


def is_present(exit_date: date | None, today: date) -> bool:
    """Still in the company up to and including the exit date."""
    return exit_date is None or exit_date >= today
