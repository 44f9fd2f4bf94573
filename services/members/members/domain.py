"""Rules of member registration, free of Flask and SQLAlchemy."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from portal_common.errors import FieldErrors
from portal_common.validators import compact, is_valid_siret

FIRST_MEMBER_NUMBER = 1_000_001
NAF_RE = re.compile(r"^[0-9]{2}\.[0-9]{2}[A-Z]$")
POSTAL_CODE_RE = re.compile(r"^(?:[0-9]{5})$")


class RegistrationRejected(FieldErrors):
    """A registration the rules refuse: French messages per field, shown next to the fields."""


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


def check_registration(reg: Registration, *, siret_taken: bool) -> Registration:
    """Normalise and validate a registration; raises RegistrationRejected with every problem."""
    errors: dict[str, str] = {}
    siret = compact(reg.siret)
    if not reg.name.strip():
        errors["name"] = "La raison sociale est obligatoire."
    if not is_valid_siret(siret):
        errors["siret"] = "Le SIRET doit comporter 14 chiffres et être valide."
    elif siret_taken:
        errors["siret"] = "Un adhérent existe déjà avec ce SIRET."
    naf = (reg.naf_code or "").strip().upper() or None
    if naf and not NAF_RE.match(naf):
        errors["naf_code"] = "Le code NAF doit avoir la forme 47.76Z."
    if not reg.address_line1.strip():
        errors["address_line1"] = "L'adresse est obligatoire."
    if not POSTAL_CODE_RE.match(reg.postal_code.strip()):
        errors["postal_code"] = "Le code postal doit comporter 5 chiffres."
    if not reg.city.strip():
        errors["city"] = "La commune est obligatoire."
    if reg.adhesion_date is None:
        errors["adhesion_date"] = "La date d'adhésion est obligatoire (jj/mm/aaaa)."
    if errors:
        raise RegistrationRejected(errors)
    return Registration(
        name=reg.name.strip(), siret=siret, naf_code=naf, address_line1=reg.address_line1.strip(),
        address_line2=(reg.address_line2 or "").strip() or None, postal_code=reg.postal_code.strip(),
        city=reg.city.strip().upper(), email=(reg.email or "").strip() or None, phone=(reg.phone or "").strip() or None,
        billing_email=(reg.billing_email or "").strip() or None, adhesion_date=reg.adhesion_date,
    )


def next_member_number(highest: str | None) -> str:
    """Member numbers are 7 digits, allocated in order."""
    return f"{max(FIRST_MEMBER_NUMBER, int(highest) + 1 if highest else FIRST_MEMBER_NUMBER):07d}"
