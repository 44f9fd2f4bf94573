"""Rules of hiring, correcting, moving and exiting an employee, and of showing and finding employees."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date

from portal_common.errors import FieldErrors
from portal_common.validators import NIR_RUN_MIN, compact, is_valid_nir, nir_key

from .categories import CATEGORIES, SIR_BY_EMPLOYER, check_determinants, ordered

SEXES = ("F", "M")
CONTRACTS = ("CDI", "CDD", "apprentissage", "professionnalisation", "interim", "stage", "autre")
MONITORING_CATEGORIES = CATEGORIES
STATUSES = ("present", "left", "all")
EXIT_REASONS = ("fin_cdd", "demission", "licenciement", "rupture_conventionnelle", "retraite",
                "fin_periode_essai", "fin_mission", "mutation", "autre")
LETTER_RE = re.compile(r"^[A-Z#]$")
ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # uuid4 as str() writes it
ID_RE = re.compile(ID_PATTERN)
MINIMUM_HIRING_AGE = 15
NAME_MAX, FIRST_NAMES_MAX, POST_MAX, NOTE_MAX = 100, 150, 200, 500  # the column sizes
PCS_CODE_RE = re.compile(r"^[0-9]{3}[a-z]$")
NIR_SHAPE_RE = re.compile(r"^[0-9]{6}[0-9AB][0-9]{8}$")
# The first digit of a NIR (1, 2) or of a NIA (7, 8) gives the sex; 3 (foreign-born, provisional) does not.
NIR_SEX = {"1": "M", "2": "F", "7": "M", "8": "F"}
# The INSEE code of the commune of birth: 5 characters, Corsica 2A/2B, overseas 97x/98x are digits.
COMMUNE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
# The INSEE code of a foreign country (99xxx); 99100 is France itself.
COUNTRY_CODE_RE = re.compile(r"^99\d{3}$")
FRANCE_CODE = "99100"
COUNTRY_MAX = 100
ABROAD = "99"  # the department of birth of the NIR for someone born abroad

# Ligatures that Unicode decomposition leaves alone but French names use.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


class HireRejected(FieldErrors):
    """A hire the rules refuse: French messages per field, shown next to the fields."""


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


def check_hire(command: HireCommand, *, today: date) -> HireCommand:
    """Normalise and validate a hire; raises HireRejected with every problem at once."""
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
    birth_commune, birth_country = _check_birth_place(command.birth_commune, command.birth_country, errors)
    if command.hire_date is None:
        errors["hire_date"] = "La date d'embauche est obligatoire (jj/mm/aaaa)."
    elif command.birth_date is not None and command.hire_date < add_years(command.birth_date, MINIMUM_HIRING_AGE):
        errors["hire_date"] = "Le salarié doit avoir au moins 15 ans à l'embauche."
    _check_post(post, pcs_code, errors)
    if command.contract not in CONTRACTS:
        errors["contract"] = "Type de contrat inconnu."
    errors.update(check_determinants(determinants, justification))
    _check_note("convocation_constraints", constraints, "Les contraintes de convocation", errors)
    _check_note("comment", comment, "Le commentaire", errors)
    if errors:
        raise HireRejected(errors)
    return replace(command, last_name=last_name, birth_name=birth_name, first_names=first_names, nir=nir,
                   pcs_code=pcs_code, post=post, multi_employer=bool(command.multi_employer),
                   determinants=determinants, sir_justification=justification or None,
                   adapted_undisclosed=bool(command.adapted_undisclosed),
                   convocation_constraints=constraints or None, comment=comment or None,
                   birth_commune=birth_commune, birth_country=birth_country)


def _check_birth_place(commune: str | None, country: str | None,
                       errors: dict[str, str]) -> tuple[str | None, str | None]:
    """Exactly one of the commune of birth (INSEE code) and the country of birth (born abroad), normalised."""
    commune_code = "".join((commune or "").split()).upper() or None
    country_text = _clean(country) or None
    if country_text and COUNTRY_CODE_RE.match(country_text.replace(" ", "")):
        country_text = country_text.replace(" ", "")
    if commune_code is None and country_text is None:
        errors["birth_commune"] = ("Le lieu de naissance est obligatoire : indiquez le code INSEE de la commune "
                                   "de naissance, ou le pays de naissance si le salarié est né à l'étranger.")
    elif commune_code is not None and country_text is not None:
        errors["birth_country"] = ("Indiquez soit la commune de naissance (né en France), soit le pays de "
                                   "naissance (né à l'étranger), pas les deux.")
    elif commune_code is not None and not COMMUNE_RE.match(commune_code):
        errors["birth_commune"] = ("Le code INSEE de la commune de naissance comporte 5 caractères, par exemple "
                                   "14118 (Caen) ou 2A004 (Ajaccio).")
    elif country_text is not None:
        if country_text == FRANCE_CODE or fold(country_text) == "france":
            errors["birth_country"] = ("Pour un salarié né en France, indiquez le code INSEE de sa commune de "
                                       "naissance plutôt que le pays.")
        elif country_text[:1].isdigit() and not COUNTRY_CODE_RE.match(country_text):
            errors["birth_country"] = ("Le code INSEE d'un pays comporte 5 chiffres commençant par 99, par "
                                       "exemple 99350 (Maroc) ; vous pouvez aussi écrire le nom du pays.")
        elif len(country_text) > COUNTRY_MAX:
            errors["birth_country"] = f"Le pays de naissance ne doit pas dépasser {COUNTRY_MAX} caractères."
    return commune_code, country_text


def birth_department(commune: str) -> str:
    """The department of a commune code: 2 characters ('14', '2A'), 3 digits overseas ('974')."""
    return commune[:3] if commune[:2] in ("97", "98") else commune[:2]


def birth_place_warnings(nir: str, birth_commune: str | None, birth_country: str | None) -> list[str]:
    """Disagreements of the NIR's department of birth (characters 6-7, 6-8 overseas) with the place of birth.

    Shown, never refused. 99 in the NIR means born abroad. People born in Corsica before 1976 kept '20'.
    """
    value = compact(nir)
    if len(value) < 8:
        return []
    nir_department = value[5:7]
    if birth_commune:
        department = birth_department(birth_commune)
        if nir_department == ABROAD:
            return ["Le numéro de sécurité sociale indique une naissance à l'étranger, mais une commune de "
                    "naissance en France est déclarée."]
        corsica = department in ("2A", "2B") and nir_department == "20"
        in_nir = value[5:5 + len(department)]
        if in_nir != department and not corsica:
            return [f"Le département de naissance du numéro de sécurité sociale ({in_nir}) ne correspond pas à la "
                    f"commune de naissance ({birth_commune})."]
    elif birth_country and nir_department != ABROAD:
        return ["Le numéro de sécurité sociale indique une naissance en France, mais un pays de naissance "
                "étranger est déclaré."]
    return []


def check_nir(nir: str) -> str | None:
    """The French message for a NIR (or NIA) that cannot be right; None when its shape and key are good."""
    if not NIR_SHAPE_RE.match(nir):
        return "Le numéro de sécurité sociale doit comporter 15 caractères, clé comprise."
    if nir_key(nir[:13]) != int(nir[13:]):
        return "La clé du numéro de sécurité sociale est incorrecte : vérifiez le numéro."
    if not is_valid_nir(nir):
        return "Le numéro de sécurité sociale n'est pas valide."
    return None


# A NIR typed into a search box: digits (2A/2B for Corsica) with any spaces, dots or dashes between them.
NIR_SEARCH_INCOMPLETE = ("Saisissez le numéro de sécurité sociale complet : ses 13 premiers caractères, ou les 15 "
                         "avec la clé.")


def nir_to_find(run: str) -> tuple[str | None, str | None]:
    """(the full NIR to look up, None) or (None, the French message); 13 characters get their key computed."""
    if len(run) == NIR_RUN_MIN and NIR_SHAPE_RE.match(f"{run}00"):
        run = f"{run}{nir_key(run):02d}"
    if not NIR_SHAPE_RE.match(run):
        return None, NIR_SEARCH_INCOMPLETE
    problem = check_nir(run)
    return (None, problem) if problem else (run, None)


def nir_warnings(nir: str, sex: str, birth_date: date | None) -> list[str]:
    """Disagreements with the sex or birth year/month: shown, never refused (civil records have odd values)."""
    value = compact(nir)
    warnings = []
    if NIR_SEX.get(value[:1], sex) != sex:
        warnings.append("Le premier chiffre du numéro de sécurité sociale ne correspond pas au sexe déclaré.")
    if birth_date is not None and len(value) >= 5:
        if value[1:3] != f"{birth_date.year % 100:02d}":
            warnings.append("L'année de naissance du numéro de sécurité sociale ne correspond pas à la date de "
                            "naissance.")
        # Months 20 and above (incomplete civil records) are legitimate: only a real month can disagree.
        if value[3:5].isdigit() and 1 <= int(value[3:5]) <= 12 and int(value[3:5]) != birth_date.month:
            warnings.append("Le mois de naissance du numéro de sécurité sociale ne correspond pas à la date de "
                            "naissance.")
    return warnings


def check_post_change(change: PostChange, *, current_from: date, hire_date: date, exit_date: date | None,
                      today: date) -> PostChange:
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
    return replace(change, post=post, pcs_code=pcs_code, determinants=determinants,
                   sir_justification=justification or None, adapted_undisclosed=bool(change.adapted_undisclosed))


def check_exit(command: ExitCommand, *, hire_date: date, already_left: date | None) -> ExitCommand:
    errors: dict[str, str] = {}
    if already_left is not None:
        errors["exit_date"] = "Ce salarié est déjà sorti."
    elif command.exit_date is None:
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
        raise HireRejected({"hire_date": f"La date d'embauche ne peut pas suivre la date de sortie "
                                         f"({exit_date:%d/%m/%Y})."})
    return hire


def mask_nir(nir: str) -> str:
    """Sex, birth year and month, and the key stay readable: '2 85 08 ** *** *** 38'."""
    value = compact(nir)
    return f"{value[0]} {value[1:3]} {value[3:5]} ** *** *** {value[13:15]}"


def fold(text: str | None) -> str:
    """Lower case without accents, for accent-insensitive search ('Élodie' → 'elodie')."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_LIGATURES))
    # Marks go (accents), and so do control characters: PostgreSQL text cannot hold a NUL byte.
    kept = "".join(c for c in decomposed
                   if not unicodedata.combining(c) and not unicodedata.category(c).startswith("C"))
    return " ".join(kept.lower().split())


def search_text(last_name: str, birth_name: str, first_names: str) -> str:
    return " ".join(dict.fromkeys(fold(part) for part in (last_name, birth_name, first_names) if part))


def initial_of(last_name: str) -> str:
    """The letter an employee is filed under in the list ('Éric' under E); '#' when no letter."""
    for char in fold(last_name):
        if "a" <= char <= "z":
            return char.upper()
    return "#"


def display_name(last_name: str, birth_name: str, sex: str) -> str:
    """'DUPONT née MARTIN' when the birth name differs from the name in use."""
    if birth_name and birth_name != last_name:
        return f"{last_name} {'née' if sex == 'F' else 'né'} {birth_name}"
    return last_name


def is_present(exit_date: date | None, today: date) -> bool:
    """Still in the company up to and including the exit date."""
    return exit_date is None or exit_date >= today
