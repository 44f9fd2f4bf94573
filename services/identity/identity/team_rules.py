"""Rules of a company's users, free of Flask and SQLAlchemy: roles per link, the last administrator, the forms.

Role codes are the ones the other services check in their access rules (`member("admin", "billing")`…);
the pages show their French labels.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from .domain import looks_like_email, looks_like_member_number

ADMIN = "admin"
# Code → label, in the order the pages show them.
ROLE_LABELS: dict[str, str] = {
    "admin": "Administrateur",
    "billing": "Facturation",
    "declaration": "Déclaration",
    "convocation": "Convocation",
    "read": "Lecture",
}
ROLES = frozenset(ROLE_LABELS)
# An accounting firm acts for the company; it never manages the company's users.
DELEGATE_ROLES = frozenset(ROLES - {ADMIN})
# What typing the company's codes grants: its own staff become administrator, a firm a declarant's roles.
FIRST_MEMBER_ROLES = (ADMIN,)
FIRST_DELEGATE_ROLES = ("billing", "declaration", "read")

LAST_ADMIN = ("L'entreprise doit toujours garder au moins un administrateur : "
              "nommez d'abord un autre administrateur.")
NO_ROLE = "Cochez au moins un rôle."
DELEGATE_ADMIN = "Un tiers déclarant ne peut pas être administrateur de l'entreprise."


def role_labels(roles: Iterable[str]) -> list[str]:
    """French labels in the usual order: ["Administrateur", "Lecture"]."""
    wanted = set(roles)
    return [label for code, label in ROLE_LABELS.items() if code in wanted]


def parse_roles(values: Iterable[str]) -> frozenset[str]:
    """Only known role codes survive (a forged value is ignored, never stored)."""
    return frozenset(v for v in values if v in ROLES)


@dataclass(frozen=True)
class LinkView:
    """One user's access to the company, as the rules need it."""

    user_id: str
    kind: str  # member | delegate
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return self.kind == "member" and ADMIN in self.roles


def admins(links: Iterable[LinkView]) -> set[str]:
    return {link.user_id for link in links if link.is_admin}


def role_change_problem(links: Iterable[LinkView], user_id: str, new_roles: frozenset[str]) -> str | None:
    """Why these roles cannot be given to this user of the company, in French, or None."""
    links = list(links)
    target = next((link for link in links if link.user_id == user_id), None)
    if not new_roles:
        return NO_ROLE
    if target is not None and target.kind == "delegate" and ADMIN in new_roles:
        return DELEGATE_ADMIN
    if target is not None and target.is_admin and ADMIN not in new_roles and admins(links) == {user_id}:
        return LAST_ADMIN
    return None


def removal_problem(links: Iterable[LinkView], user_id: str) -> str | None:
    """Removing a user (or revoking a delegation) never leaves the company without an administrator."""
    links = list(links)
    target = next((link for link in links if link.user_id == user_id), None)
    if target is not None and target.is_admin and admins(links) == {user_id}:
        return LAST_ADMIN
    return None


def becomes_admin(before: frozenset[str] | None, after: frozenset[str], kind: str = "member") -> bool:
    """Whether a change makes someone administrator (the company's other users are then told by e-mail)."""
    return kind == "member" and ADMIN in after and (before is None or ADMIN not in before)


# --- forms -------------------------------------------------------------------------------------------------

MOBILE = re.compile(r"^0[67][0-9]{8}$")
DECLARANT_CODE = re.compile(r"^[A-Z0-9]{4,20}$")


def company_codes_errors(member_number: str, declarant_code: str) -> dict[str, str]:
    """Format checks of "code adhérent + n° télédéclarant", before anything is looked up."""
    errors = {}
    if not looks_like_member_number(member_number):
        errors["member_number"] = "Le code adhérent comporte 7 chiffres (il figure sur votre courrier d'adhésion)."
    if not DECLARANT_CODE.match(declarant_code):
        errors["declarant_code"] = ("Le n° télédéclarant comporte de 4 à 20 lettres ou chiffres, "
                                    "(il figure sur votre courrier d'adhésion).")
    return errors


def normalise_declarant_code(typed: str) -> str:
    """As members digests it: upper case, without the spaces or dashes of the printed "K7MP3 XR9TB"."""
    return re.sub(r"[\s\-]", "", typed or "").upper()


def normalise_mobile(mobile: str) -> str:
    return re.sub(r"[ .\-]", "", mobile.strip())


def person_errors(form: Mapping[str, str], *, confirm_email: bool = True, with_job: bool = True) -> dict[str, str]:
    """The "Nom, Prénom, Fonction, E-mail, Confirmation, N° mobile" form, with a French message per field."""
    errors = {}
    for name, label in (("last_name", "votre nom"), ("first_name", "votre prénom")):
        value = form.get(name, "").strip()
        if not value:
            errors[name] = f"Indiquez {label}."
        elif len(value) > 80:
            errors[name] = "80 caractères au plus."
    if with_job:
        job = form.get("job_title", "").strip()
        if not job:
            errors["job_title"] = "Indiquez votre fonction dans l'entreprise (exemple : gérant, comptable)."
        elif len(job) > 100:
            errors["job_title"] = "100 caractères au plus."
    email = form.get("email", "").strip()
    if not looks_like_email(email):
        errors["email"] = "Saisissez une adresse e-mail valide (exemple : nom@entreprise.fr)."
    elif confirm_email and email.lower() != form.get("email_confirmation", "").strip().lower():
        errors["email_confirmation"] = "Les deux adresses e-mail saisies sont différentes."
    mobile = normalise_mobile(form.get("mobile", ""))
    if mobile and not MOBILE.match(mobile):
        errors["mobile"] = "Le n° mobile comporte 10 chiffres et commence par 06 ou 07 (exemple : 06 12 34 56 78)."
    return errors


def display_name(first_name: str, last_name: str) -> str:
    return f"{first_name.strip()} {last_name.strip()}"[:200]
