"""Rules of a company's typed addresses and contacts, free of Flask and SQLAlchemy."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from portal_common.errors import FieldErrors

from ..record.fields import check_email, check_phone, check_postal_address, clean, parse_date


class AddressKind(StrEnum):
    MAIN = "principale"  # the one the record and the events carry
    BILLING = "facturation"
    CONVOCATION = "convocation"
    OTHER = "autre"


class ContactKind(StrEnum):
    MANAGER = "dirigeant"
    HR = "responsable_rh"
    BILLING = "responsable_facturation"
    SAFETY = "referent_securite"
    DOCTOR_CONTACT = "interlocuteur_medecin"
    SITE_MANAGER = "responsable_etablissement"
    CONVOCATION = "contact_convocation"  # its e-mail receives the convocations


ADDRESS_KINDS = {
    AddressKind.MAIN: "Adresse principale",
    AddressKind.BILLING: "Adresse de facturation et dématérialisation",
    AddressKind.CONVOCATION: "Adresse de convocation",
    AddressKind.OTHER: "Autre adresse",
}
CONTACT_KINDS = {
    ContactKind.MANAGER: "Dirigeant",
    ContactKind.HR: "Responsable RH",
    ContactKind.BILLING: "Responsable facturation",
    ContactKind.SAFETY: "Référent sécurité",
    ContactKind.DOCTOR_CONTACT: "Interlocuteur direct du médecin du travail",
    ContactKind.SITE_MANAGER: "Responsable de l'établissement suivi",
    ContactKind.CONVOCATION: "Contact de convocation",
}
ADDRESS_FIELDS = ("kind", "line1", "line2", "postal_code", "city", "valid_from", "valid_to")
CONTACT_FIELDS = ("kind", "name", "function", "email", "phone", "mobile")


class EntryRejected(FieldErrors):
    """An address or contact the rules refuse, with French messages per field."""


def check_address(data: dict[str, Any]) -> dict[str, Any]:
    """A normalised address (dates as ISO strings, ready to store in a change request)."""
    errors: dict[str, str] = {}
    for name in sorted(set(data) - set(ADDRESS_FIELDS)):
        errors[name] = "Champ inconnu."
    kind = clean(data.get("kind"))
    if kind not in ADDRESS_KINDS:
        errors["kind"] = "Choisissez le type d'adresse."
    line1 = clean(data.get("line1"))
    if not line1 or len(line1) > 200:
        errors["line1"] = "L'adresse est obligatoire (200 caractères au plus)."
    line2 = clean(data.get("line2"))
    if line2 and len(line2) > 200:
        errors["line2"] = "Le complément d'adresse ne doit pas dépasser 200 caractères."
    postal_code, city = check_postal_address(data.get("postal_code"), data.get("city"), errors)
    valid_from = parse_date(data.get("valid_from"), "valid_from", errors)
    valid_to = parse_date(data.get("valid_to"), "valid_to", errors)
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = "La fin de validité doit suivre le début de validité."
    if errors:
        raise EntryRejected(errors)
    return {
        "kind": kind,
        "line1": line1,
        "line2": line2,
        "postal_code": postal_code,
        "city": city,
        "valid_from": valid_from.isoformat() if valid_from else None,
        "valid_to": valid_to.isoformat() if valid_to else None,
    }


def check_contact(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    for unknown in sorted(set(data) - set(CONTACT_FIELDS)):
        errors[unknown] = "Champ inconnu."
    kind = clean(data.get("kind"))
    if kind not in CONTACT_KINDS:
        errors["kind"] = "Choisissez le type de contact."
    name = clean(data.get("name"))
    if not name or len(name) > 200:
        errors["name"] = "Le nom du contact est obligatoire (200 caractères au plus)."
    function = clean(data.get("function"))
    if function and len(function) > 100:
        errors["function"] = "La fonction ne doit pas dépasser 100 caractères."
    email = check_email(data.get("email"), "email", errors)
    phone = check_phone(data.get("phone"), "phone", errors)
    mobile = check_phone(data.get("mobile"), "mobile", errors)
    if errors:
        raise EntryRejected(errors)
    return {"kind": kind, "name": name, "function": function, "email": email, "phone": phone, "mobile": mobile}


def is_current(address: dict[str, Any], today: date) -> bool:
    """Valid today: started (or no start date) and not ended."""
    start, end = address.get("valid_from"), address.get("valid_to")
    return (not start or date.fromisoformat(str(start)) <= today) and (not end or date.fromisoformat(str(end)) >= today)
