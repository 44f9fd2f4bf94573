"""Forgotten password: the captcha answer, single-use 30-minute links, the reset itself; the one-time links the
other e-mailed flows (activation, invitation, e-mail change) issue too."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.service import Portal

from ..accounts.queries import find_user
from ..accounts.use_cases import password_problem, set_password
from ..models import CaptchaSpent, OneTimeLink, User
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from ..sessions.use_cases import end_sessions
from . import captcha, mails, proof_of_work
from .queries import addresses, valid_link
from .rules import ANSWER_FLOOR_S, MAX_LINKS_PER_HOUR, RESET_LIFETIME, LinkPurpose, ResetAddress, token_hash


def solve_captcha(portal: Portal, presession: str, token: str, answer: str) -> bool:
    """Single use: right or wrong, a genuine token is spent and the next try needs a new image."""
    key = portal.settings.internal_key
    found = captcha.genuine(key, presession, token[:200], clock.utcnow())
    if found is None:
        return False  # forged, another browser's, or expired: nothing to record
    nonce, answer_mac, expires_at = found
    return _spend(portal, nonce, expires_at) and captcha.answer_matches(key, presession, nonce, answer_mac, answer)


def _spend(portal: Portal, nonce: str, expires_at) -> bool:  # type: ignore[no-untyped-def]
    """Record a challenge's nonce as used; False when it already was (a replay)."""
    with portal.uow() as tx:
        try:
            with tx.session.begin_nested():
                tx.session.add(CaptchaSpent(nonce=nonce, expires_at=expires_at))
        except IntegrityError:
            return False
        tx.commit()
    return True


def solve_proof_of_work(portal: Portal, presession: str, challenge: str, counter: str) -> bool:
    """The check without sight: single use too, a genuine challenge is spent whether or not the proof holds."""
    found = proof_of_work.genuine(portal.settings.internal_key, presession, challenge[:200], clock.utcnow())
    if found is None:
        return False
    nonce, bits, expires_at = found
    return _spend(portal, nonce, expires_at) and proof_of_work.solves(challenge[:200], counter[:20], bits)


def purge_spent_captchas(portal: Portal) -> int:
    """Forget spent captcha tokens once expired: an expired token is refused anyway."""
    with portal.uow() as tx:
        purged = tx.session.execute(delete(CaptchaSpent).where(CaptchaSpent.expires_at < clock.utcnow())).rowcount
        tx.commit()
    return purged or 0


def issue_link(tx: UnitOfWork, user: User, purpose: LinkPurpose, lifetime: timedelta) -> str:
    """A CSPRNG token (256 bits) for the e-mail, in the caller's transaction; the database keeps its sha256 only."""
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    tx.session.add(
        OneTimeLink(
            id=str(uuid.uuid4()),
            token_hash=token_hash(token),
            purpose=purpose,
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
            used_at=None,
        )
    )
    return token


def send_reset_link(portal: Portal, identifier: str, kind: ResetAddress, client: Client) -> None:
    """Sends the link to the chosen address when the account exists; nothing visible otherwise."""
    started = time.monotonic()
    now = clock.utcnow()
    try:
        with portal.uow() as tx:
            user = find_user(tx.session, identifier)
            if user is None or not user.is_active:
                tx.commit()
                return
            address = addresses(tx.session, user, identifier).get(kind)
            recent = tx.session.scalar(
                select(func.count())
                .select_from(OneTimeLink)
                .where(
                    OneTimeLink.user_id == user.id,
                    OneTimeLink.purpose == LinkPurpose.RESET,
                    OneTimeLink.created_at > now - timedelta(hours=1),
                )
            )
            if address is None or recent >= MAX_LINKS_PER_HOUR:
                record(tx.session, LogKind.RESET_REQUEST, LogOutcome.REFUSED, client, user_id=user.id)
                tx.commit()
                return
            token = issue_link(tx, user, LinkPurpose.RESET, RESET_LIFETIME)
            record(tx.session, LogKind.RESET_REQUEST, LogOutcome.SUCCESS, client, user_id=user.id)
            tx.mail(
                mails.reset_link(
                    address,
                    link=f"{portal.settings.public_url}/connexion/nouveau-mot-de-passe/{token}",
                    key=f"reset:{token_hash(token)}",
                )
            )
            tx.commit()
    finally:
        time.sleep(max(0.0, ANSWER_FLOOR_S - (time.monotonic() - started)))


def reset_password(
    portal: Portal, token: str, *, new: str, confirmation: str, client: Client, purpose: LinkPurpose = LinkPurpose.RESET
) -> dict[str, str] | None:
    """None when done (or the link is no longer valid: the caller checks first); field errors otherwise.

    Every session of the user ends and the user is told by e-mail; no automatic sign-in (AUTH-35).
    """
    with portal.uow() as tx:
        link = valid_link(tx.session, token, purpose, lock=True)
        if link is None:
            return {"link": "expired"}
        user = tx.session.get(User, link.user_id)
        problem = password_problem(tx.session, user, new)
        if problem is None and new != confirmation:
            return {"confirmation": "Les deux saisies du nouveau mot de passe sont différentes."}
        if problem is not None:
            return {"new_password": problem}
        set_password(tx, portal, user, new, client, kind=LogKind.PASSWORD_RESET)  # uses up every link
        end_sessions(tx.session, user.id)
        tx.commit()
    return None
