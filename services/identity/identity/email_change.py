"""Changing the e-mail address of one's account (issue 3 item 8): asked after a step-up, confirmed by a one-time
link sent to the new address, the old address told once the change is done.

The pending address travels sealed (AES-256-GCM, bound to the link) inside the e-mailed link, so the database keeps
only the link's sha256 and the URL never shows the address. Whether the new address already belongs to another
account is never revealed: the answer is the same and that address receives no link.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select, update

from portal_common import clock
from portal_common.sealing import derive_key
from portal_common.sealing import seal as seal_bytes
from portal_common.sealing import unseal as unseal_bytes
from portal_common.service import Portal

from . import mails, recovery, security_log, sessions
from .domain import BAD_NEW_EMAIL, email_change_errors, mask_email
from .models import OneTimeLink, User
from .security_log import Client

PURPOSE = "email_change"
LIFETIME = timedelta(hours=1)
MAX_LINKS_PER_HOUR = 5
PATH = "/connexion/nouvelle-adresse-e-mail/"
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32); the sealed address follows it in the same URL-safe segment,
# which the gateway masks in its access log like every other e-mailed link

TOO_MANY = "Trop de demandes en une heure : réessayez plus tard."


def _key(internal_key: str) -> bytes:
    return derive_key(internal_key, "identity|email-change|v1")


def seal(internal_key: str, token: str, email: str) -> str:
    sealed = seal_bytes(_key(internal_key), email.encode(), recovery.token_hash(token).encode())
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(internal_key: str, token: str, sealed: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode((sealed + "=" * (-len(sealed) % 4)).encode())
        return unseal_bytes(_key(internal_key), raw, recovery.token_hash(token).encode()).decode()
    except (InvalidTag, ValueError, UnicodeDecodeError):
        return None


def request_change(portal: Portal, user_id: str, *, new: str, confirmation: str,
                   client: Client) -> dict[str, str]:
    """Field errors, or {} once the link is on its way (or silently not sent: the address is someone else's)."""
    new = new.strip()
    with portal.uow() as tx:
        user = tx.session.get(User, user_id)
        if user is None:
            return {"new_email": BAD_NEW_EMAIL}
        errors = email_change_errors(user.email, new, confirmation)
        if errors:
            return errors
        now = clock.utcnow()
        recent = tx.session.scalar(select(func.count()).select_from(OneTimeLink).where(
            OneTimeLink.user_id == user.id, OneTimeLink.purpose == PURPOSE,
            OneTimeLink.created_at > now - timedelta(hours=1)))
        if recent >= MAX_LINKS_PER_HOUR:
            security_log.record(tx.session, "email_change_request", "refused", client, user_id=user.id)
            tx.commit()
            return {"new_email": TOO_MANY}
        taken = tx.session.scalar(select(User.id).where(func.lower(User.email) == new.lower())) is not None
        token = recovery.issue_link(tx, user, PURPOSE, LIFETIME)  # counted even when not sent: same answer
        # The same entry either way: the company's administrators read this log, it must not tell them either.
        security_log.record(tx.session, "email_change_request", "success", client, user_id=user.id)
        if not taken:
            sealed = seal(portal.settings.internal_key, token, new.lower())
            link = f"{portal.settings.public_url}{PATH}{token}{sealed}"
            tx.mail(mails.email_change_link(new.lower(), link=link, key=f"email-change:{recovery.token_hash(token)}"))
        tx.commit()
    return {}


@dataclass(frozen=True)
class Pending:
    user: User
    new_email: str


def _split(portal: Portal, link_text: str) -> tuple[str, str] | None:
    token, sealed = link_text[:TOKEN_LENGTH], link_text[TOKEN_LENGTH:]
    if len(token) != TOKEN_LENGTH or not sealed:
        return None
    new_email = unseal(portal.settings.internal_key, token, sealed)
    return (token, new_email) if new_email is not None else None


def pending(portal: Portal, link_text: str) -> Pending | None:
    """What a still valid link would change (for the confirmation page), else None."""
    parts = _split(portal, link_text)
    if parts is None:
        return None
    with portal.db.session_factory() as db:
        link = recovery.valid_link(db, parts[0], PURPOSE)
        user = db.get(User, link.user_id) if link is not None else None
        if user is None or not user.is_active:
            return None
        db.expunge(user)
        return Pending(user=user, new_email=parts[1])


def confirm(portal: Portal, link_text: str, client: Client) -> str:
    """'done', 'expired' (unknown, used or out-of-date link) or 'taken' (the address got another account meanwhile).

    On success the link and every other pending e-mail link die, every session ends (the address is a way in),
    and the old address is told.
    """
    parts = _split(portal, link_text)
    if parts is None:
        return "expired"
    token, new_email = parts
    with portal.uow() as tx:
        link = recovery.valid_link(tx.session, token, PURPOSE, lock=True)
        user = tx.session.get(User, link.user_id) if link is not None else None
        if user is None or not user.is_active:
            security_log.record(tx.session, "email_change", "refused", client,
                                user_id=user.id if user is not None else None)
            tx.commit()
            return "expired"
        now = clock.utcnow()
        if tx.session.scalar(select(User.id).where(func.lower(User.email) == new_email, User.id != user.id)):
            link.used_at = now
            security_log.record(tx.session, "email_change", "refused", client, user_id=user.id)
            tx.commit()
            return "taken"
        old_email = user.email
        user.email = new_email
        tx.session.execute(update(OneTimeLink).where(
            OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None),
            OneTimeLink.purpose.in_((PURPOSE, "reset"))).values(used_at=now))
        sessions.end_sessions(tx.session, user.id)
        security_log.record(tx.session, "email_change", "success", client, user_id=user.id)
        tx.mail(mails.email_changed(old_email, new_masked=mask_email(new_email), public_url=portal.settings.public_url,
                                    key=f"email-changed:{recovery.token_hash(token)}"))
        tx.commit()
    return "done"
