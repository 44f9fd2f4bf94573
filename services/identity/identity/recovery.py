"""Forgotten password: the masked addresses to choose from, single-use 30-minute links, the reset itself."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.service import Portal

from . import credentials, mails, security_log, sessions
from .accounts import find_user
from .domain import looks_like_member_number, mask_email
from .models import MemberDirectoryEntry, MemberLink, OneTimeLink, User
from .security_log import Client

RESET_LIFETIME = timedelta(minutes=30)
MAX_LINKS_PER_HOUR = 3  # per account: no mail-bombing
# Sending a link writes the link, its e-mail and a log line; an unknown account writes nothing. The answer is held
# to this floor so that its duration tells nothing (AUTH-30; tests/integration/test_enumeration_and_timing).
ANSWER_FLOOR_S = 0.15
STEP_LIFETIME = timedelta(minutes=10)  # between the captcha and the choice of address
KINDS = {"account": "Adresse e-mail de votre compte", "manager": "Adresse du dirigeant",
         "hr": "Adresse du responsable RH"}


@dataclass(frozen=True)
class Choice:
    kind: str
    label: str
    masked: str


def _member_of(db: DbSession, user: User, identifier: str) -> MemberDirectoryEntry | None:
    number = identifier if looks_like_member_number(identifier) else user.login_member_number
    if number:
        return db.scalar(select(MemberDirectoryEntry).where(MemberDirectoryEntry.member_number == number))
    linked = db.scalars(select(MemberLink.member_id).where(MemberLink.user_id == user.id)).all()
    return db.get(MemberDirectoryEntry, linked[0]) if len(linked) == 1 else None


def _addresses(db: DbSession, user: User, identifier: str) -> dict[str, str]:
    member = _member_of(db, user, identifier)
    found = {"account": user.email}
    if member is not None:
        found |= {kind: email for kind, email in (("manager", member.manager_email), ("hr", member.hr_email)) if email}
    return found


def _decoys(key: str, identifier: str) -> dict[str, str]:
    """Stable, plausible masked addresses for an unknown identifier, so the page never tells who exists."""
    digest = hmac.new(key.encode(), f"reset-decoy|{identifier.lower()}".encode(), hashlib.sha256).hexdigest()
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in digest)
    account = identifier if "@" in identifier else f"{letters[0]}.{letters[1:7]}@{letters[7:13]}.fr"
    kinds = ["manager", "hr"][: int(digest[-1], 16) % 3]
    return {"account": account} | {kind: f"{letters[14 + i * 6:19 + i * 6]}@{letters[30:36]}.fr"
                                    for i, kind in enumerate(kinds)}


def choices(portal: Portal, identifier: str) -> list[Choice]:
    with portal.db.session_factory() as db:
        user = find_user(db, identifier)
        addresses = (_addresses(db, user, identifier) if user is not None and user.is_active
                     else _decoys(portal.settings.internal_key, identifier))
    # The account's own address is the one typed when the identifier is an e-mail: mask what was typed.
    if "@" in identifier:
        addresses["account"] = identifier.lower()
    return [Choice(kind, KINDS[kind], mask_email(email)) for kind, email in addresses.items()]


def step_signature(key: str, presession: str, identifier: str, issued: str) -> str:
    """Proves the captcha was solved by this browser for this identifier a moment ago."""
    return hmac.new(key.encode(), f"reset-step|{presession}|{identifier}|{issued}".encode(),
                    hashlib.sha256).hexdigest()


def step_is_valid(key: str, presession: str, identifier: str, issued: str, signature: str) -> bool:
    try:
        age = clock.utcnow() - datetime.fromisoformat(issued)
    except (TypeError, ValueError):
        return False
    expected = step_signature(key, presession, identifier, issued)
    return hmac.compare_digest(expected, signature) and timedelta(0) <= age < STEP_LIFETIME


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(tx: UnitOfWork, user: User, purpose: str, lifetime: timedelta) -> str:
    """A CSPRNG token (256 bits) for the e-mail; the database keeps its sha256 only."""
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    tx.session.add(OneTimeLink(id=str(uuid.uuid4()), token_hash=token_hash(token), purpose=purpose, user_id=user.id,
                               created_at=now, expires_at=now + lifetime, used_at=None))
    return token


def send_reset_link(portal: Portal, identifier: str, kind: str, client: Client) -> None:
    """Sends the link to the chosen address when the account exists; nothing visible otherwise."""
    started = time.monotonic()
    now = clock.utcnow()
    try:
        with portal.uow() as tx:
            user = find_user(tx.session, identifier)
            if user is None or not user.is_active:
                tx.commit()
                return
            address = _addresses(tx.session, user, identifier).get(kind)
            recent = tx.session.scalar(select(func.count()).select_from(OneTimeLink).where(
                OneTimeLink.user_id == user.id, OneTimeLink.purpose == "reset",
                OneTimeLink.created_at > now - timedelta(hours=1)))
            if address is None or recent >= MAX_LINKS_PER_HOUR:
                security_log.record(tx.session, "reset_request", "refused", client, user_id=user.id)
                tx.commit()
                return
            token = issue_link(tx, user, "reset", RESET_LIFETIME)
            security_log.record(tx.session, "reset_request", "success", client, user_id=user.id)
            tx.mail(mails.reset_link(address, link=f"{portal.settings.public_url}/connexion/nouveau-mot-de-passe/"
                                     f"{token}", key=f"reset:{token_hash(token)}"))
            tx.commit()
    finally:
        time.sleep(max(0.0, ANSWER_FLOOR_S - (time.monotonic() - started)))


def valid_link(db: DbSession, token: str, purpose: str, *, lock: bool = False) -> OneTimeLink | None:
    stmt = select(OneTimeLink).where(OneTimeLink.token_hash == token_hash(token), OneTimeLink.purpose == purpose)
    link = db.scalar(stmt.with_for_update() if lock else stmt)
    if link is None or link.used_at is not None or clock.utcnow() >= link.expires_at:
        return None
    return link


def link_is_valid(portal: Portal, token: str, purpose: str) -> bool:
    with portal.db.session_factory() as db:
        return valid_link(db, token, purpose) is not None


def reset_password(portal: Portal, token: str, *, new: str, confirmation: str, client: Client,
                   purpose: str = "reset") -> dict[str, str] | None:
    """None when done (or the link is no longer valid: the caller checks first); field errors otherwise.

    Every session of the user ends and the user is told by e-mail; no automatic sign-in (AUTH-35).
    """
    with portal.uow() as tx:
        link = valid_link(tx.session, token, purpose, lock=True)
        if link is None:
            return {"link": "expired"}
        user = tx.session.get(User, link.user_id)
        problem = credentials.problem_for(tx.session, user, new)
        if problem is None and new != confirmation:
            return {"confirmation": "Les deux saisies du nouveau mot de passe sont différentes."}
        if problem is not None:
            return {"new_password": problem}
        credentials.set_password(tx, portal, user, new, client, kind="password_reset")  # uses up every link
        sessions.end_sessions(tx.session, user.id)
        tx.commit()
    return None
