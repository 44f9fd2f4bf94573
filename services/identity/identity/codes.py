"""Passwordless sign-in: a 6-digit code by e-mail, 10 minutes, single use, a few attempts, no enumeration."""
from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update

from portal_common import clock
from portal_common.service import Portal

from . import lockout, mails, security_log
from .models import LoginCode, User
from .security_log import Client

LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5  # per account: no mail-bombing, at most 25 guesses an hour
# A request for a real account writes the code, its e-mail and a log line; an unknown one writes less. The answer
# is held to this floor so that its duration tells nothing (AUTH-22; tests/integration/test_enumeration_and_timing).
ANSWER_FLOOR_S = 0.15


def presession_hash(presession: str) -> str:
    return hashlib.sha256(f"presession:{presession}".encode()).hexdigest()


def _code_hash(key: str, code_id: str, code: str) -> str:
    # Keyed: a 6-digit code is too small a space for a plain hash to protect it.
    return hmac.new(key.encode(), f"login-code|{code_id}|{code}".encode(), hashlib.sha256).hexdigest()


def request_code(portal: Portal, email: str, presession: str, client: Client) -> None:
    """Always records a pending code for this browser; only a real, active account receives one."""
    started = time.monotonic()
    now = clock.utcnow()
    with portal.uow() as tx:
        user = tx.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is not None and not user.is_active:
            user = None
        if user is not None:
            recent = tx.session.scalar(select(func.count()).select_from(LoginCode).where(
                LoginCode.user_id == user.id, LoginCode.created_at > now - timedelta(hours=1)))
            if recent >= MAX_CODES_PER_HOUR:
                security_log.record(tx.session, "code_request", "refused", client, user_id=user.id)
                user = None
        bound = presession_hash(presession)
        tx.session.execute(update(LoginCode).where(LoginCode.presession_hash == bound, LoginCode.used_at.is_(None))
                           .values(used_at=now))
        code = f"{secrets.randbelow(10 ** 6):06d}"
        code_id = str(uuid.uuid4())
        row = LoginCode(id=code_id, presession_hash=bound, user_id=user.id if user else None, created_at=now,
                        expires_at=now + LIFETIME, attempts=0, used_at=None,
                        code_hash=_code_hash(portal.settings.internal_key, code_id, code))
        tx.session.add(row)
        if user is not None:
            security_log.record(tx.session, "code_request", "success", client, user_id=user.id)
            tx.mail(mails.login_code(user.email, code=code, key=f"code:{row.id}"))
        tx.commit()
    time.sleep(max(0.0, ANSWER_FLOOR_S - (time.monotonic() - started)))


class Outcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # no code pending, expired, used, or out of attempts: ask for a new one


@dataclass(frozen=True)
class Verified:
    outcome: Outcome
    user: User | None = None


def verify_code(portal: Portal, presession: str, code: str, client: Client) -> Verified:
    now = clock.utcnow()
    with portal.uow() as tx:
        row = tx.session.scalar(select(LoginCode).where(LoginCode.presession_hash == presession_hash(presession),
                                                        LoginCode.used_at.is_(None))
                                .order_by(LoginCode.created_at.desc()).limit(1).with_for_update())
        if row is None or now >= row.expires_at or row.attempts >= MAX_ATTEMPTS:
            return Verified(Outcome.EXPIRED)
        row.attempts += 1
        expected = _code_hash(portal.settings.internal_key, row.id, code)
        user = tx.session.get(User, row.user_id) if row.user_id else None
        if not hmac.compare_digest(expected, row.code_hash) or user is None or not user.is_active:
            security_log.record(tx.session, "code_login", "failure", client, user_id=row.user_id)
            if row.attempts >= MAX_ATTEMPTS:
                row.used_at = now
            tx.commit()
            return Verified(Outcome.EXPIRED if row.used_at else Outcome.WRONG)
        row.used_at = now
        lockout.clear(tx.session, user.id)
        security_log.record(tx.session, "code_login", "success", client, user_id=user.id)
        tx.commit()
        return Verified(Outcome.OK, user)
