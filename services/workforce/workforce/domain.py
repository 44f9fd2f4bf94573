"""Rules of hiring an employee and of showing and finding employees, free of Flask and SQLAlchemy."""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date

from portal_common.errors import FieldErrors
from portal_common.validators import compact, is_valid_nir, nir_key

SEXES = ("F", "M")
CONTRACTS = ("CDI", "CDD", "apprentissage", "professionnalisation", "interim", "stage", "autre")
MONITORING_CATEGORIES = ("SI", "SIA", "SIR")
STATUSES = ("present", "left", "all")
LETTER_RE = re.compile(r"^[A-Z#]$")
ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # uuid4 as str() writes it
ID_RE = re.compile(ID_PATTERN)
MINIMUM_HIRING_AGE = 15
NAME_MAX, FIRST_NAMES_MAX, POST_MAX = 100, 150, 200  # the column sizes
PCS_CODE_RE = re.compile(r"^[0-9]{3}[a-z]$")
NIR_SHAPE_RE = re.compile(r"^[0-9]{6}[0-9AB][0-9]{8}$")

# Ligatures that Unicode decomposition leaves alone but French names use.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


class HireRejected(FieldErrors):
    """A hire the rules refuse: French messages per field, shown next to the fields."""


@dataclass(frozen=True)
class HireCommand:
    """What the employer declares when an employee joins the company."""

    last_name: str
    first_names: str
    sex: str
    birth_date: date | None  # None when the form's date could not be read
    nir: str = field(repr=False)  # never printed, even in a traceback
    hire_date: date | None
    post: str
    contract: str
    monitoring_category: str
    birth_name: str | None = None
    pcs_code: str | None = None
    multi_employer: bool = False


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def add_years(day: date, years: int) -> date:
    """The same day `years` later; someone born on 29 February has a birthday on 1 March otherwise."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def check_hire(command: HireCommand, *, today: date) -> HireCommand:
    """Normalise and validate a hire; raises HireRejected with every problem at once."""
    errors: dict[str, str] = {}
    last_name = _clean(command.last_name).upper()
    birth_name = _clean(command.birth_name).upper() or last_name
    first_names = _clean(command.first_names)
    nir = compact(command.nir)
    pcs_code = _clean(command.pcs_code).lower() or None
    post = _clean(command.post)
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
    if not NIR_SHAPE_RE.match(nir):
        errors["nir"] = "Le numéro de sécurité sociale doit comporter 15 caractères, clé comprise."
    elif nir_key(nir[:13]) != int(nir[13:]):
        errors["nir"] = "La clé du numéro de sécurité sociale est incorrecte : vérifiez le numéro."
    elif not is_valid_nir(nir):
        errors["nir"] = "Le numéro de sécurité sociale n'est pas valide."
    if command.hire_date is None:
        errors["hire_date"] = "La date d'embauche est obligatoire (jj/mm/aaaa)."
    elif command.birth_date is not None and command.hire_date < add_years(command.birth_date, MINIMUM_HIRING_AGE):
        errors["hire_date"] = "Le salarié doit avoir au moins 15 ans à l'embauche."
    if not post:
        errors["post"] = "Le poste de travail est obligatoire."
    elif len(post) > POST_MAX:
        errors["post"] = f"Le poste de travail ne doit pas dépasser {POST_MAX} caractères."
    if pcs_code and not PCS_CODE_RE.match(pcs_code):
        errors["pcs_code"] = "Le code PCS-ESE doit comporter 3 chiffres et une lettre, par exemple 552a."
    if command.contract not in CONTRACTS:
        errors["contract"] = "Type de contrat inconnu."
    if command.monitoring_category not in MONITORING_CATEGORIES:
        errors["monitoring_category"] = "La catégorie de suivi doit être SI, SIA ou SIR."
    if errors:
        raise HireRejected(errors)
    return replace(command, last_name=last_name, birth_name=birth_name, first_names=first_names, nir=nir,
                   pcs_code=pcs_code, post=post, multi_employer=bool(command.multi_employer))


def mask_nir(nir: str) -> str:
    """Sex, birth year and month, and the key stay readable: '2 85 08 ** *** *** 38'."""
    value = compact(nir)
    return f"{value[0]} {value[1:3]} {value[3:5]} ** *** *** {value[13:15]}"


def nir_hash(nir: str, key: str) -> str:
    """A keyed hash: finds the same person twice without keeping the number (no dictionary attack)."""
    return hmac.new(key.encode(), f"nir|{compact(nir)}".encode(), hashlib.sha256).hexdigest()


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
