"""Rules of a company's users, free of Flask and SQLAlchemy: roles per link, the last administrator, invitations,
the first-account step, the forms.

Role codes are `portal_common.roles.MemberRole`, the ones the other services check in their access rules;
the pages show their French labels (`MEMBER_ROLE_LABELS`, in the order the pages show them).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from portal_common import clock
from portal_common.roles import MEMBER_ROLE_LABELS, MemberRole

from ..login.rules import looks_like_email, looks_like_member_number

ADMIN = MemberRole.ADMIN
ROLES = frozenset(MemberRole)
# An accounting firm acts for the company; it never manages the company's users.
DELEGATE_ROLES = frozenset(ROLES - {ADMIN})
# What typing the company's codes grants: its own staff become administrator, a firm a declarant's roles.
FIRST_MEMBER_ROLES = (MemberRole.ADMIN,)
FIRST_DELEGATE_ROLES = (MemberRole.BILLING, MemberRole.DECLARATION, MemberRole.READ)

DIGEST_PURPOSE = "declarant-code"  # members' keyed digest of the n° télédéclarant
LINK_LIFETIME = timedelta(hours=72)
STEP_LIFETIME = timedelta(minutes=30)  # between the codes and the person's details
MAX_LINKS_PER_HOUR = 3  # activation / invitation mails per account: no mail-bombing


class LinkKind(StrEnum):
    """How a user reaches a member company (the stored `kind` of links and invitations)."""

    MEMBER = "member"  # one of the company's own users
    DELEGATE = "delegate"  # an accounting firm acting for it


class Codes(enum.Enum):
    """The outcome of typing a company's member number and n° télédéclarant."""

    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


class InviteOutcome(StrEnum):
    """What an invitation did, for the logs and the administrator's page (public pages say the same either way)."""

    SENT = "sent"
    ALREADY = "already"  # the person already reaches the company
    REFUSED = "refused"  # a closed account, or too many links lately


LAST_ADMIN = "L'entreprise doit toujours garder au moins un administrateur : nommez d'abord un autre administrateur."
NO_ROLE = "Cochez au moins un rôle."
DELEGATE_ADMIN = "Un tiers déclarant ne peut pas être administrateur de l'entreprise."


def role_labels(roles: Iterable[str]) -> list[str]:
    """French labels in the usual order: ["Administrateur", "Lecture"]."""
    wanted = set(roles)
    return [label for code, label in MEMBER_ROLE_LABELS.items() if code in wanted]


def parse_roles(values: Iterable[str]) -> frozenset[str]:
    """Only known role codes survive (a forged value is ignored, never stored)."""
    return frozenset(v for v in values if v in ROLES)


@dataclass(frozen=True)
class LinkView:
    """One user's access to the company, as the rules need it."""

    user_id: str
    kind: str  # a LinkKind
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return self.kind == LinkKind.MEMBER and ADMIN in self.roles


def admins(links: Iterable[LinkView]) -> set[str]:
    return {link.user_id for link in links if link.is_admin}


def role_change_problem(links: Iterable[LinkView], user_id: str, new_roles: frozenset[str]) -> str | None:
    """Why these roles cannot be given to this user of the company, in French, or None."""
    links = list(links)
    target = next((link for link in links if link.user_id == user_id), None)
    if not new_roles:
        return NO_ROLE
    if target is not None and target.kind == LinkKind.DELEGATE and ADMIN in new_roles:
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


def becomes_admin(before: frozenset[str] | None, after: frozenset[str], kind: str = LinkKind.MEMBER) -> bool:
    """Whether a change makes someone administrator (the company's other users are then told by e-mail)."""
    return kind == LinkKind.MEMBER and ADMIN in after and (before is None or ADMIN not in before)


def first_link(*, delegate: bool) -> tuple[tuple[MemberRole, ...], LinkKind]:
    """The roles and kind of link typing the company's codes gives."""
    return (FIRST_DELEGATE_ROLES, LinkKind.DELEGATE) if delegate else (FIRST_MEMBER_ROLES, LinkKind.MEMBER)


# --- the signed step between the codes and the details form -------------------------------------------------


def step_signature(key: str, presession: str, member_id: str, issued: str) -> str:
    """Proves this browser typed the right codes for this company a moment ago."""
    return hmac.new(
        key.encode(), f"first-account|{presession}|{member_id}|{issued}".encode(), hashlib.sha256
    ).hexdigest()


def step_is_valid(key: str, presession: str, member_id: str, issued: str, signature: str) -> bool:
    try:
        age = clock.utcnow() - datetime.fromisoformat(issued)
    except (TypeError, ValueError):
        return False
    expected = step_signature(key, presession, member_id, issued)
    return hmac.compare_digest(expected, signature) and timedelta(0) <= age < STEP_LIFETIME


# --- invitations and forms -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Who is invited, or asks for a first account."""

    email: str
    first_name: str
    last_name: str
    job_title: str | None = None
    mobile: str | None = None


MOBILE = re.compile(r"^0[67][0-9]{8}$")
DECLARANT_CODE = re.compile(r"^[A-Z0-9]{4,20}$")


def company_codes_errors(member_number: str, declarant_code: str) -> dict[str, str]:
    """Format checks of "code adhérent + n° télédéclarant", before anything is looked up."""
    errors = {}
    if not looks_like_member_number(member_number):
        errors["member_number"] = "Le code adhérent comporte 7 chiffres (il figure sur votre courrier d'adhésion)."
    if not DECLARANT_CODE.match(declarant_code):
        errors["declarant_code"] = (
            "Le n° télédéclarant comporte de 4 à 20 lettres ou chiffres (il figure sur votre courrier d'adhésion)."
        )
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
