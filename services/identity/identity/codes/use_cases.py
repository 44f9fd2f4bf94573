"""Passwordless sign-in: asking for a code by e-mail and typing it, with no enumeration of accounts."""

from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update

from portal_common import clock
from portal_common.service import Portal

from ..login import use_cases as login
from ..models import LoginCode, User
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from . import mails
from .rules import (
    ANSWER_FLOOR_S,
    LIFETIME,
    MAX_ATTEMPTS,
    MAX_CODES_PER_HOUR,
    Outcome,
    code_hash,
    new_code,
    presession_hash,
)


def request_code(portal: Portal, email: str, presession: str, client: Client) -> None:
    """Always records a pending code for this browser; only a real, active account receives one."""
    started = time.monotonic()
    now = clock.utcnow()
    with portal.uow() as tx:
        user = tx.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is not None and not user.is_active:
            user = None
        if user is not None:
            recent = tx.session.scalar(
                select(func.count())
                .select_from(LoginCode)
                .where(LoginCode.user_id == user.id, LoginCode.created_at > now - timedelta(hours=1))
            )
            if recent >= MAX_CODES_PER_HOUR:
                record(tx.session, LogKind.CODE_REQUEST, LogOutcome.REFUSED, client, user_id=user.id)
                user = None
        bound = presession_hash(presession)
        tx.session.execute(
            update(LoginCode).where(LoginCode.presession_hash == bound, LoginCode.used_at.is_(None)).values(used_at=now)
        )
        code = new_code()
        code_id = str(uuid.uuid4())
        row = LoginCode(
            id=code_id,
            presession_hash=bound,
            user_id=user.id if user else None,
            created_at=now,
            expires_at=now + LIFETIME,
            attempts=0,
            used_at=None,
            code_hash=code_hash(portal.settings.internal_key, code_id, code),
        )
        tx.session.add(row)
        if user is not None:
            record(tx.session, LogKind.CODE_REQUEST, LogOutcome.SUCCESS, client, user_id=user.id)
            tx.mail(mails.login_code(user.email, code=code, key=f"code:{row.id}"))
        tx.commit()
    time.sleep(max(0.0, ANSWER_FLOOR_S - (time.monotonic() - started)))


@dataclass(frozen=True)
class Verified:
    outcome: Outcome
    user: User | None = None


def verify_code(portal: Portal, presession: str, code: str, client: Client) -> Verified:
    now = clock.utcnow()
    with portal.uow() as tx:
        row = tx.session.scalar(
            select(LoginCode)
            .where(LoginCode.presession_hash == presession_hash(presession), LoginCode.used_at.is_(None))
            .order_by(LoginCode.created_at.desc())
            .limit(1)
            .with_for_update()
        )
        if row is None or now >= row.expires_at or row.attempts >= MAX_ATTEMPTS:
            return Verified(Outcome.EXPIRED)
        row.attempts += 1
        expected = code_hash(portal.settings.internal_key, row.id, code)
        user = tx.session.get(User, row.user_id) if row.user_id else None
        if not hmac.compare_digest(expected, row.code_hash) or user is None or not user.is_active:
            record(tx.session, LogKind.CODE_LOGIN, LogOutcome.FAILURE, client, user_id=row.user_id)
            if row.attempts >= MAX_ATTEMPTS:
                row.used_at = now
            tx.commit()
            return Verified(Outcome.EXPIRED if row.used_at else Outcome.WRONG)
        row.used_at = now
        login.clear(tx.session, user.id)
        record(tx.session, LogKind.CODE_LOGIN, LogOutcome.SUCCESS, client, user_id=user.id)
        tx.commit()
        return Verified(Outcome.OK, user)
