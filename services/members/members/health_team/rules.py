"""Health team and service contacts of a company: the centre, médecin, secrétaire, préventeur, infirmier (IDEST),
and the service's mailboxes; assigned by staff. No Flask, no SQLAlchemy."""

from __future__ import annotations

from typing import Any

from portal_common.errors import FieldErrors

from ..record.fields import EMAIL_RE, check_email, check_phone, check_postal_address, clean

CENTRE_FIELDS = ("name", "line1", "line2", "postal_code", "city", "phone", "email")
TEAM_FIELDS = (
    "centre_id",
    "doctor",
    "secretary",
    "secretary_phone",
    "secretary_email",
    "preventer",
    "preventer_email",
    "nurse",
)
TEAM_LABELS = {
    "centre_id": "Centre",
    "doctor": "Médecin du travail",
    "secretary": "Secrétaire médicale",
    "secretary_phone": "Téléphone de la secrétaire",
    "secretary_email": "E-mail de la secrétaire",
    "preventer": "Préventeur",
    "preventer_email": "E-mail du préventeur",
    "nurse": "Infirmier en santé au travail (IDEST)",
}
PERSON_FIELDS = ("doctor", "secretary", "preventer", "nurse")


class TeamRejected(FieldErrors):
    """A centre or a team the rules refuse, with French messages per field."""


def _unknown(data: dict[str, Any], allowed: tuple[str, ...], errors: dict[str, str]) -> None:
    for name in sorted(set(data) - set(allowed)):
        errors[name] = "Champ inconnu."


def check_centre(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    _unknown(data, CENTRE_FIELDS, errors)
    name = clean(data.get("name"))
    if not name or len(name) > 200:
        errors["name"] = "Le nom du centre est obligatoire (200 caractères au plus)."
    line1 = clean(data.get("line1"))
    if not line1 or len(line1) > 200:
        errors["line1"] = "L'adresse est obligatoire (200 caractères au plus)."
    line2 = clean(data.get("line2"))
    if line2 and len(line2) > 200:
        errors["line2"] = "Le complément d'adresse ne doit pas dépasser 200 caractères."
    postal_code, city = check_postal_address(data.get("postal_code"), data.get("city"), errors)
    phone = check_phone(data.get("phone"), "phone", errors)
    email = check_email(data.get("email"), "email", errors)
    if errors:
        raise TeamRejected(errors)
    return {
        "name": name,
        "line1": line1,
        "line2": line2,
        "postal_code": postal_code,
        "city": city,
        "phone": phone,
        "email": email,
    }


def check_team(data: dict[str, Any], *, centre_exists: bool) -> dict[str, Any]:
    """Every field optional (a team is filled in step by step), but what is given must be valid."""
    errors: dict[str, str] = {}
    _unknown(data, TEAM_FIELDS, errors)
    values: dict[str, Any] = {"centre_id": clean(data.get("centre_id"))}
    if values["centre_id"] and not centre_exists:
        errors["centre_id"] = "Choisissez un centre de la liste."
    for name in PERSON_FIELDS:
        values[name] = clean(data.get(name))
        if values[name] and len(values[name]) > 200:
            errors[name] = "Le nom ne doit pas dépasser 200 caractères."
    values["secretary_phone"] = check_phone(data.get("secretary_phone"), "secretary_phone", errors)
    values["secretary_email"] = check_email(data.get("secretary_email"), "secretary_email", errors)
    values["preventer_email"] = check_email(data.get("preventer_email"), "preventer_email", errors)
    if errors:
        raise TeamRejected(errors)
    return values


def parse_mailboxes(raw: str) -> tuple[tuple[str, str], ...]:
    """MEMBERS_SERVICE_MAILBOXES: `Libellé=adresse@…;Autre=…`, shown to every member; ValueError when invalid."""
    found = []
    for item in (part.strip() for part in raw.split(";")):
        if not item:
            continue
        label, sep, email = item.partition("=")
        if not sep or not label.strip() or not EMAIL_RE.match(email.strip()):
            raise ValueError(f"expected Label=e-mail, got {item!r}")
        found.append((label.strip(), email.strip().lower()))
    return tuple(found)


def centre_address(centre: dict[str, Any]) -> str:
    """One line, as printed on a convocation: 5 avenue Kennedy, 68100 MULHOUSE."""
    parts = [centre["line1"], centre.get("line2"), f"{centre['postal_code']} {centre['city']}"]
    return ", ".join(p for p in parts if p)
