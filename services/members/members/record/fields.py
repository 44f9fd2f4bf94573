"""Field checks every form of the service shares: text, phones, e-mails, postal addresses, VAT, NAF, dates.

Pure: each check normalises a value and writes its French message into `errors` under the field's name.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import phonenumbers

from portal_common.validators import compact, vat_number_for

from .naf import naf_rev2

NAF_RE = re.compile(r"^[0-9]{2}\.[0-9]{2}[A-Z]$")
# Metropolitan departments 01–95 (Corsica's postal codes are 20xxx, never 2A/2B), overseas 97x/98x.
POSTAL_CODE_RE = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3}$")
CITY_RE = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿŒœ' \-]+(?: CEDEX(?: [0-9]{1,2})?)?$", re.IGNORECASE)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# New-style VAT keys use letters from an alphabet without O and I; only numeric keys can be checked.
VAT_RE = re.compile(r"^FR([0-9A-HJ-NP-Z]{2})([0-9]{9})$")


def clean(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def normalise_phone(value: str | None) -> str | None:
    """A French or international phone number as E.164 (+33389000000); ValueError when invalid."""
    if not clean(value):
        return None
    try:
        number = phonenumbers.parse(str(value), "FR")
    except phonenumbers.NumberParseException:
        raise ValueError(value) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_fr(e164: str | None) -> str:
    """French style for French numbers (03 89 00 00 00), international style for the others."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 33
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def check_naf(value: str | None, errors: dict[str, str], field: str = "naf_code") -> str | None:
    naf = (clean(value) or "").upper() or None
    if naf and len(naf) == 5 and naf[:4].isdigit():  # 4776Z, as printed on Kbis extracts
        naf = f"{naf[:2]}.{naf[2:]}"
    if naf and not NAF_RE.match(naf):
        errors[field] = "Le code NAF doit avoir la forme 47.76Z."
    elif naf and naf not in naf_rev2():
        errors[field] = "Ce code NAF n'existe pas dans la nomenclature NAF rév. 2."
    return naf


def check_phone(value: str | None, field: str, errors: dict[str, str]) -> str | None:
    try:
        return normalise_phone(value)
    except ValueError:
        errors[field] = "Le numéro de téléphone n'est pas valide (exemple : 03 89 12 34 56)."
        return None


def check_email(value: str | None, field: str, errors: dict[str, str]) -> str | None:
    email = clean(value)
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        errors[field] = "L'adresse e-mail n'est pas valide (exemple : contact@entreprise.fr)."
    return email.lower() if email else None


def check_vat(value: str | None, siren: str, errors: dict[str, str]) -> str | None:
    """An intra-community VAT number of this company: FR + key + its SIREN, the numeric key checked."""
    vat = compact(value or "") or None
    if vat is None:
        return None
    found = VAT_RE.match(vat)
    if not found:
        errors["vat_number"] = "Le numéro de TVA doit avoir la forme FR + 2 caractères + SIREN (13 caractères)."
    elif found.group(2) != siren:
        errors["vat_number"] = "Le numéro de TVA ne correspond pas au SIREN de l'entreprise."
    elif found.group(1).isdigit() and vat != vat_number_for(siren):
        errors["vat_number"] = "La clé du numéro de TVA est incorrecte."
    return vat


def check_postal_address(
    postal_code: str | None, city: str | None, errors: dict[str, str], prefix: str = ""
) -> tuple[str, str]:
    code = (clean(postal_code) or "").replace(" ", "")
    town = " ".join((clean(city) or "").split())
    if code[:2].upper() in {"2A", "2B"}:
        errors[prefix + "postal_code"] = "En Corse, le code postal commence par 20 (exemple : 20000 Ajaccio)."
    elif not POSTAL_CODE_RE.match(code):
        errors[prefix + "postal_code"] = "Le code postal doit comporter 5 chiffres (exemple : 68100)."
    if not town:
        errors[prefix + "city"] = "La commune est obligatoire."
    elif not CITY_RE.match(town):
        errors[prefix + "city"] = "La commune ne doit contenir que des lettres (exemple : Mulhouse)."
    return code, town.upper()


def parse_date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    """A date from a form (2024-01-31 or 31/01/2024) or already parsed; None when empty."""
    if isinstance(value, date) or value is None:
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = text.split("/")
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "La date n'est pas valide (jj/mm/aaaa)."
        return None
