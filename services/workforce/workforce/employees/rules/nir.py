"""The NIR (n° de sécurité sociale, or NIA) as the rules see it: shape and key, disagreements with the civil
status shown as warnings, the mask that is shown, and the number typed into a search box."""

from __future__ import annotations

import re
from datetime import date

from portal_common.validators import NIR_RUN_MIN, compact, is_valid_nir, nir_key

from .codes import Sex

NIR_SHAPE_RE = re.compile(r"^[0-9]{6}[0-9AB][0-9]{8}$")
# The first digit of a NIR (1, 2) or of a NIA (7, 8) gives the sex; 3 (foreign-born, provisional) does not.
NIR_SEX = {"1": Sex.M, "2": Sex.F, "7": Sex.M, "8": Sex.F}
ABROAD = "99"  # the department of birth of the NIR for someone born abroad


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
            return [
                "Le numéro de sécurité sociale indique une naissance à l'étranger, mais une commune de "
                "naissance en France est déclarée."
            ]
        corsica = department in ("2A", "2B") and nir_department == "20"
        in_nir = value[5 : 5 + len(department)]
        if in_nir != department and not corsica:
            return [
                f"Le département de naissance du numéro de sécurité sociale ({in_nir}) ne correspond pas à la "
                f"commune de naissance ({birth_commune})."
            ]
    elif birth_country and nir_department != ABROAD:
        return [
            "Le numéro de sécurité sociale indique une naissance en France, mais un pays de naissance "
            "étranger est déclaré."
        ]
    return []


# INSEE's months for a civil record whose month is unknown: 20 to 42, or 99; they agree with any birth date.
UNKNOWN_MONTHS = frozenset({*range(20, 43), 99})
# Born in Algeria (91-94), Morocco (95) or Tunisia (96) before independence: the NIR kept those departments.
FORMER_DEPARTMENTS = {"91": "99352", "92": "99352", "93": "99352", "94": "99352", "95": "99350", "96": "99351"}
SEX_DIGITS = "1 ou 7 pour un homme, 2 ou 8 pour une femme"


def nir_contradictions(
    nir: str, sex: str, birth_date: date | None, birth_commune: str | None, birth_country: str | None
) -> dict[str, str]:
    """What a well-formed NIR contradicts among the civil status typed beside it: {field: French message}.

    For a refusal at entry (`records.check_nir_agreement`), the message next to the field that disagrees;
    imports list the same facts as warnings (`nir_warnings`, `birth_place_warnings`).
    """
    value = compact(nir)
    errors: dict[str, str] = {}
    if NIR_SEX.get(value[:1], sex) != sex:
        errors["sex"] = (
            f"Le numéro de sécurité sociale commence par {value[0]} ({SEX_DIGITS}) : il ne correspond pas au sexe "
            "déclaré. Corrigez le sexe ou le numéro."
        )
    month = int(value[3:5])
    if birth_date is not None:
        if value[1:3] != f"{birth_date.year % 100:02d}":
            errors["birth_date"] = (
                f"Le numéro de sécurité sociale indique une naissance en {value[1:3]} (2e et 3e chiffres) : "
                "il ne correspond pas à l'année de naissance. Corrigez la date ou le numéro."
            )
        elif 1 <= month <= 12 and month != birth_date.month:
            errors["birth_date"] = (
                f"Le numéro de sécurité sociale indique le mois {value[3:5]} (4e et 5e chiffres) : il ne "
                "correspond pas au mois de naissance. Corrigez la date ou le numéro."
            )
    if not 1 <= month <= 12 and month not in UNKNOWN_MONTHS:
        errors["nir"] = (
            f"Le mois de naissance du numéro de sécurité sociale ({value[3:5]}) n'existe pas : vérifiez le numéro."
        )
    errors.update(_birth_place_contradiction(value, birth_commune, birth_country))
    return errors


def _birth_place_contradiction(value: str, commune: str | None, country: str | None) -> dict[str, str]:
    department = value[5:7]
    if department == ABROAD:
        if commune:
            return {
                "birth_commune": "Le numéro de sécurité sociale indique une naissance à l'étranger (99, 6e et 7e "
                "chiffres) : indiquez le pays de naissance plutôt qu'une commune française."
            }
        if country and country[:2] == ABROAD and country[2:] != value[7:10]:
            return {
                "birth_country": f"Le numéro de sécurité sociale indique le pays {ABROAD}{value[7:10]} (8e à 10e "
                f"chiffres) : il ne correspond pas au pays de naissance {country}."
            }
        return {}
    if commune:
        expected = birth_department(commune)
        corsica = expected in ("2A", "2B") and department == "20"
        in_nir = value[5 : 5 + len(expected)]
        if in_nir != expected and not corsica:
            return {
                "birth_commune": f"Le numéro de sécurité sociale indique le département {in_nir} (à partir du 6e "
                f"chiffre) : il ne correspond pas à la commune de naissance {commune}."
            }
        return {}
    former = FORMER_DEPARTMENTS.get(department)
    # A country typed by name is not matched against a code: only its INSEE code (99xxx) is compared.
    if country and (former is None or (country[:2] == ABROAD and country != former)):
        return {
            "birth_country": f"Le numéro de sécurité sociale indique une naissance en France (département "
            f"{value[5:7]}) : indiquez la commune de naissance plutôt qu'un pays étranger."
        }
    return {}


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
NIR_SEARCH_INCOMPLETE = (
    "Saisissez le numéro de sécurité sociale complet : ses 13 premiers caractères, ou les 15 avec la clé."
)


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
            warnings.append(
                "L'année de naissance du numéro de sécurité sociale ne correspond pas à la date de naissance."
            )
        # Months 20 and above (incomplete civil records) are legitimate: only a real month can disagree.
        if value[3:5].isdigit() and 1 <= int(value[3:5]) <= 12 and int(value[3:5]) != birth_date.month:
            warnings.append(
                "Le mois de naissance du numéro de sécurité sociale ne correspond pas à la date de naissance."
            )
    return warnings


def mask_nir(nir: str) -> str:
    """Sex, birth year and month, and the key stay readable: '2 85 08 ** *** *** 38'."""
    value = compact(nir)
    return f"{value[0]} {value[1:3]} {value[3:5]} ** *** *** {value[13:15]}"


def mask_typed_nir(raw: str | None) -> str | None:
    """A number as typed in a file, right or wrong, masked the same way so the user can find the line: the
    first five and the last two characters readable, the rest hidden; None when nothing was typed."""
    value = compact(raw or "")
    if not value:
        return None
    if len(value) == 15:
        return mask_nir(value)
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:5]}{'*' * (len(value) - 7)}{value[-2:]}"
