"""Rules of member registration: what staff must provide, the member number allocated. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal_common.errors import Conflict, FieldErrors
from portal_common.validators import compact, is_valid_siret

from ..record.fields import check_email, check_naf, check_phone, check_postal_address, clean
from ..record.rules import SIRET_TAKEN

FIRST_MEMBER_NUMBER = 1_000_001


class RegistrationRejected(FieldErrors):
    """A registration the rules refuse: French messages per field, shown next to the fields."""


class SiretTaken(RegistrationRejected, Conflict):
    """The company is already a member (a double submission, a retried call): 409 naming it."""

    reason = "member_siret_taken"


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


def check_registration(reg: Registration, *, siret_taken: bool, siret_holder: str | None = None) -> Registration:
    """Normalise and validate a registration; raises RegistrationRejected with every problem, SiretTaken when
    the only one is a SIRET already registered (`siret_holder`: the member that holds it)."""
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
    if errors == {"siret": SIRET_TAKEN}:
        raise SiretTaken(errors, existing_id=siret_holder)
    if errors:
        raise RegistrationRejected(errors)
    return Registration(
        name=reg.name.strip(),
        siret=siret,
        naf_code=naf,
        address_line1=reg.address_line1.strip(),
        address_line2=clean(reg.address_line2),
        postal_code=postal_code,
        city=city,
        email=email,
        phone=phone,
        billing_email=billing_email,
        adhesion_date=reg.adhesion_date,
    )


def next_member_number(highest: str | None) -> str:
    """Member numbers are 7 digits, allocated in order."""
    return f"{max(FIRST_MEMBER_NUMBER, int(highest) + 1 if highest else FIRST_MEMBER_NUMBER):07d}"
