"""Rules of member registration and of the company record, free of Flask and SQLAlchemy."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers

from portal_common.clock import utcnow
from portal_common.errors import FieldErrors
from portal_common.formats import PARIS
from portal_common.validators import compact, is_valid_siret, is_valid_member_number, siren_of, vat_number_for

from .naf import naf_rev2

FIRST_MEMBER_NUMBER = 1_000_001
NAF_RE = re.compile(r"^[0-9]{2}\.[0-9]{2}[A-Z]$")
# Metropolitan departments 01–95 (Corsica's postal codes are 20xxx, never 2A/2B), overseas 97x/98x.
POSTAL_CODE_RE = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3}$")
CITY_RE = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿŒœ' \-]+(?: CEDEX(?: [0-9]{1,2})?)?$", re.IGNORECASE)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# New-style VAT keys use letters from an alphabet without O and I; only numeric keys can be checked.
VAT_RE = re.compile(r"^FR([0-9A-HJ-NP-Z]{2})([0-9]{9})$")
STATUSES = {"active": "Actif", "suspended": "Suspendu", "closed": "Radié"}

# Fields of the record: who may change them, and which staff changes need a second person (AZ-07).
MEMBER_FIELDS = ("naf_code", "vat_number", "activity", "phone", "mobile", "fax", "email", "billing_email")
STAFF_ONLY_FIELDS = ("name", "siret", "member_number", "adhesion_date", "status")
FOUR_EYES_FIELDS = frozenset({"name", "siret", "member_number"})
RECORD_FIELDS = MEMBER_FIELDS + STAFF_ONLY_FIELDS
STAFF_ONLY_MESSAGE = "Ce champ ne peut être modifié que par le service : contactez-le."
SIRET_TAKEN = "Un adhérent existe déjà avec ce SIRET."
NUMBER_TAKEN = "Ce numéro d'adhérent est déjà attribué."
# The record fields no two companies may share (a unique index each).
UNIQUE_FIELDS = {"siret": SIRET_TAKEN, "member_number": NUMBER_TAKEN}


class RegistrationRejected(FieldErrors):
    """A registration the rules refuse: French messages per field, shown next to the fields."""


class RecordRejected(FieldErrors):
    """A record change the rules refuse, with French messages per field."""


class RecordConflict(RecordRejected):
    """A SIRET or member number another company holds by the time the change applies (HTTP 409)."""


@dataclass(frozen=True)
class Registration:
    name: str
    siret: str
    naf_code: str | None
    address_line1: str
    address_line2: str | None
    postal_code: str
    city: str
    email: str | None
    phone: str | None
    billing_email: str | None
    adhesion_date: date | None


def today() -> date:
    """The current date in France (validity dates and effective dates are French calendar days)."""
    return utcnow().astimezone(PARIS).date()


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
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
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


def check_postal_address(postal_code: str | None, city: str | None, errors: dict[str, str],
                         prefix: str = "") -> tuple[str, str]:
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


def check_registration(reg: Registration, *, siret_taken: bool) -> Registration:
    """Normalise and validate a registration; raises RegistrationRejected with every problem."""
    errors: dict[str, str] = {}
    siret = compact(reg.siret)
    if not reg.name.strip():
        errors["name"] = "La raison sociale est obligatoire."
    if not is_valid_siret(siret):
        errors["siret"] = "Le SIRET doit comporter 14 chiffres et être valide."
    elif siret_taken:
        errors["siret"] = SIRET_TAKEN
    naf = check_naf(reg.naf_code, errors)
    if not reg.address_line1.strip():
        errors["address_line1"] = "L'adresse est obligatoire."
    postal_code, city = check_postal_address(reg.postal_code, reg.city, errors)
    email = check_email(reg.email, "email", errors)
    billing_email = check_email(reg.billing_email, "billing_email", errors)
    phone = check_phone(reg.phone, "phone", errors)
    if reg.adhesion_date is None:
        errors["adhesion_date"] = "La date d'adhésion est obligatoire (jj/mm/aaaa)."
    if errors:
        raise RegistrationRejected(errors)
    return Registration(
        name=reg.name.strip(), siret=siret, naf_code=naf, address_line1=reg.address_line1.strip(),
        address_line2=clean(reg.address_line2), postal_code=postal_code, city=city, email=email, phone=phone,
        billing_email=billing_email, adhesion_date=reg.adhesion_date,
    )


def check_record_change(current: dict[str, Any], proposed: dict[str, Any], *, by_staff: bool,
                        siret_taken: bool = False, number_taken: bool = False) -> dict[str, Any]:
    """The fields that really change, normalised; RecordRejected lists every problem.

    `current` and `proposed` map record field names to values; absent fields are left alone.
    """
    errors: dict[str, str] = {}
    unknown = set(proposed) - set(RECORD_FIELDS)
    for name in sorted(unknown):
        errors[name] = "Champ inconnu."
    if not by_staff:
        for name in STAFF_ONLY_FIELDS:
            if name in proposed and clean(proposed[name]) != clean(current.get(name)):
                errors[name] = STAFF_ONLY_MESSAGE
    siret = compact(proposed.get("siret") or current["siret"])
    values: dict[str, Any] = {}
    for name, raw in proposed.items():
        if name in unknown or name in errors:
            continue
        if name == "naf_code":
            values[name] = check_naf(raw, errors)
        elif name == "vat_number":
            values[name] = check_vat(raw, siren_of(siret), errors)
        elif name in {"phone", "mobile", "fax"}:
            values[name] = check_phone(raw, name, errors)
        elif name in {"email", "billing_email"}:
            values[name] = check_email(raw, name, errors)
        elif name == "activity":
            values[name] = clean(raw)
            if values[name] and len(values[name]) > 200:
                errors[name] = "L'activité ne doit pas dépasser 200 caractères."
        elif name == "name":
            values[name] = clean(raw)
            if not values[name] or len(values[name]) > 200:
                errors[name] = "La raison sociale est obligatoire (200 caractères au plus)."
        elif name == "siret":
            values[name] = compact(raw or "")
            if not is_valid_siret(values[name]):
                errors[name] = "Le SIRET doit comporter 14 chiffres et être valide."
            elif siret_taken and values[name] != current["siret"]:
                errors[name] = SIRET_TAKEN
        elif name == "member_number":
            values[name] = clean(raw) or ""
            if not is_valid_member_number(values[name]):
                errors[name] = "Le numéro d'adhérent comporte 7 chiffres."
            elif number_taken and values[name] != current["member_number"]:
                errors[name] = NUMBER_TAKEN
        elif name == "adhesion_date":
            values[name] = raw if isinstance(raw, date) else None
            if values[name] is None:
                errors[name] = "La date d'adhésion est obligatoire (jj/mm/aaaa)."
        elif name == "status":
            values[name] = clean(raw)
            if values[name] not in STATUSES:
                errors[name] = "Statut inconnu."
    if errors:
        raise RecordRejected(errors)
    changed = {name: value for name, value in values.items() if value != current.get(name)}
    if "vat_number" in changed or "siret" in changed:
        vat = changed.get("vat_number", current.get("vat_number"))
        if vat and VAT_RE.match(vat) and vat[4:] != siren_of(siret):
            raise RecordRejected({"vat_number": "Le numéro de TVA ne correspond pas au SIREN de l'entreprise."})
    return changed


def next_member_number(highest: str | None) -> str:
    """Member numbers are 7 digits, allocated in order."""
    return f"{max(FIRST_MEMBER_NUMBER, int(highest) + 1 if highest else FIRST_MEMBER_NUMBER):07d}"
