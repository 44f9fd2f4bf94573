"""Forgotten-password rules free of Flask and SQLAlchemy: one-time links, the addresses offered, masking, decoys,
the signed step between the captcha and the choice of address."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from portal_common import clock

RESET_LIFETIME = timedelta(minutes=30)
MAX_LINKS_PER_HOUR = 3  # per account: no mail-bombing
# Sending a link writes the link, its e-mail and a log line; an unknown account writes nothing. The answer is held
# to this floor so that its duration tells nothing (AUTH-30; tests/integration/test_enumeration_and_timing).
ANSWER_FLOOR_S = 0.15
STEP_LIFETIME = timedelta(minutes=10)  # between the captcha and the choice of address


class LinkPurpose(StrEnum):
    """What an e-mailed one-time link is for (the stored `purpose`)."""

    RESET = "reset"
    ACTIVATION = "activation"
    INVITATION = "invitation"
    EMAIL_CHANGE = "email_change"


class ResetAddress(StrEnum):
    """Where a reset link may go: the account's own address, or one of its company's contacts."""

    ACCOUNT = "account"
    MANAGER = "manager"
    HR = "hr"


def address_of(raw: str) -> ResetAddress:
    """The address chosen on the form; anything unknown falls back to the account's own."""
    try:
        return ResetAddress(raw)
    except ValueError:
        return ResetAddress.ACCOUNT


ADDRESS_LABELS: dict[ResetAddress, str] = {
    ResetAddress.ACCOUNT: "Adresse e-mail de votre compte",
    ResetAddress.MANAGER: "Adresse du dirigeant",
    ResetAddress.HR: "Adresse du responsable RH",
}


@dataclass(frozen=True)
class Choice:
    kind: ResetAddress
    label: str
    masked: str


def token_hash(token: str) -> str:
    """The database keeps only this hash of an e-mailed link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def mask_email(email: str) -> str:
    """`a.martin@amsn-conseil.fr` → `a.m***@amsn***.fr`: recognisable by its owner only."""
    local, _, domain = email.partition("@")
    name, dot, tld = domain.rpartition(".")
    if not dot:
        name, tld = domain, ""
    shown_local = local[:3] if len(local) > 4 else local[:1]
    shown_name = name[:4] if len(name) > 5 else name[:1]
    return f"{shown_local}***@{shown_name}***{dot}{tld}"


def decoys(key: str, identifier: str) -> dict[ResetAddress, str]:
    """Stable, plausible masked addresses for an unknown identifier, so the page never tells who exists."""
    digest = hmac.new(key.encode(), f"reset-decoy|{identifier.lower()}".encode(), hashlib.sha256).hexdigest()
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in digest)
    account = identifier if "@" in identifier else f"{letters[0]}.{letters[1:7]}@{letters[7:13]}.fr"
    kinds = [ResetAddress.MANAGER, ResetAddress.HR][: int(digest[-1], 16) % 3]
    return {ResetAddress.ACCOUNT: account} | {
        kind: f"{letters[14 + i * 6 : 19 + i * 6]}@{letters[30:36]}.fr" for i, kind in enumerate(kinds)
    }


def choices(addresses: dict[ResetAddress, str], identifier: str) -> list[Choice]:
    """The masked addresses to choose from; the account's own one is what was typed when it is an e-mail."""
    if "@" in identifier:
        addresses = addresses | {ResetAddress.ACCOUNT: identifier.lower()}
    return [Choice(kind, ADDRESS_LABELS[kind], mask_email(email)) for kind, email in addresses.items()]


def step_signature(key: str, presession: str, identifier: str, issued: str) -> str:
    """Proves the captcha was solved by this browser for this identifier a moment ago."""
    return hmac.new(key.encode(), f"reset-step|{presession}|{identifier}|{issued}".encode(), hashlib.sha256).hexdigest()


def step_is_valid(key: str, presession: str, identifier: str, issued: str, signature: str) -> bool:
    try:
        age = clock.utcnow() - datetime.fromisoformat(issued)
    except (TypeError, ValueError):
        return False
    expected = step_signature(key, presession, identifier, issued)
    return hmac.compare_digest(expected, signature) and timedelta(0) <= age < STEP_LIFETIME
