"""The TOTP factor and recovery codes of an account: enrolment, verification under the lockout rules, removal,
and the re-authentication (step-up) before a sensitive change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.keyring import KeyRing, Rotation
from portal_common.service import Portal

from ..login import use_cases as login
from ..login.rules import Check
from ..models import RecoveryCode, Session, TotpFactor, User
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from ..sessions import use_cases as sessions
from . import mails
from .queries import has_factor, must_use
from .rules import (
    ENROLMENT_LIFETIME,
    accepted_step,
    grouped,
    looks_like_recovery_code,
    looks_like_totp,
    new_recovery_codes,
    new_secret,
    normalise_code,
    provisioning_uri,
    qr_svg,
)
from .sealing import needs_rotation, recovery_hash, seal, unseal


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str

    @property
    def qr_svg(self) -> str:
        return qr_svg(self.uri)

    @property
    def manual_key(self) -> str:
        return grouped(self.secret)


def begin_enrolment(portal: Portal, user: User) -> Enrolment:
    """A pending secret for the QR code; the factor in use (if any) keeps working until a code confirms the new one."""
    key = portal.settings.totp_ring
    now = clock.utcnow()
    with portal.uow() as tx:
        row = tx.session.get(TotpFactor, user.id, with_for_update=True)
        if row is None:
            row = TotpFactor(user_id=user.id, created_at=now, last_step=0)
            tx.session.add(row)
        secret = _pending_secret(key, row, now)
        if secret is None:
            secret = new_secret()
            row.pending_secret, row.pending_since = seal(key, user.id, secret), now
        tx.commit()
    return Enrolment(secret=secret, uri=provisioning_uri(secret, user.email))


def _pending_secret(key: KeyRing, row: TotpFactor, now: datetime) -> str | None:
    if row.pending_secret is None or row.pending_since is None or now - row.pending_since >= ENROLMENT_LIFETIME:
        return None
    return unseal(key, row.user_id, row.pending_secret)


def confirm_enrolment(portal: Portal, user: User, code: str, client: Client) -> list[str] | None:
    """The first code from the app proves the scan: the factor counts from now and 10 new recovery codes are
    returned (to be shown once). None when the code is wrong."""
    key = portal.settings.totp_ring
    now = clock.utcnow()
    with portal.uow() as tx:
        row = tx.session.get(TotpFactor, user.id, with_for_update=True)
        secret = _pending_secret(key, row, now) if row is not None else None
        step = accepted_step(secret, normalise_code(code), now, 0) if secret else None
        if step is None:
            record(tx.session, LogKind.MFA_ENROLMENT, LogOutcome.FAILURE, client, user_id=user.id)
            tx.commit()
            return None
        row.sealed_secret, row.confirmed_at, row.last_step = row.pending_secret, now, step
        row.pending_secret = row.pending_since = None
        codes = _replace_recovery_codes(tx, portal, user.id)
        record(tx.session, LogKind.MFA_ENROLMENT, LogOutcome.SUCCESS, client, user_id=user.id)
        tx.mail(
            mails.mfa_changed(
                user.email, public_url=portal.settings.public_url, enabled=True, key=f"mfa:{user.id}:{now.isoformat()}"
            )
        )
        tx.commit()
        return codes


def _replace_recovery_codes(tx: UnitOfWork, portal: Portal, user_id: str) -> list[str]:
    now = clock.utcnow()
    tx.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = new_recovery_codes()
    for code in codes:
        tx.session.add(
            RecoveryCode(
                id=str(uuid.uuid4()),
                user_id=user_id,
                created_at=now,
                used_at=None,
                code_hash=recovery_hash(portal.settings.internal_key, user_id, normalise_code(code)),
            )
        )
    return codes


def regenerate_recovery_codes(portal: Portal, user: User, client: Client) -> list[str] | None:
    with portal.uow() as tx:
        if not has_factor(tx.session, user.id):
            return None
        codes = _replace_recovery_codes(tx, portal, user.id)
        record(tx.session, LogKind.MFA_RECOVERY_CODES, LogOutcome.SUCCESS, client, user_id=user.id)
        tx.commit()
        return codes


def disable(portal: Portal, user: User, client: Client) -> bool:
    """Removes the factor and its codes; refused (False) for users who must keep one."""
    now = clock.utcnow()
    with portal.uow() as tx:
        if must_use(tx.session, portal, user):
            record(tx.session, LogKind.MFA_DISABLED, LogOutcome.REFUSED, client, user_id=user.id)
            tx.commit()
            return False
        tx.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
        tx.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        record(tx.session, LogKind.MFA_DISABLED, LogOutcome.SUCCESS, client, user_id=user.id)
        tx.mail(
            mails.mfa_changed(
                user.email,
                public_url=portal.settings.public_url,
                enabled=False,
                key=f"mfa-off:{user.id}:{now.isoformat()}",
            )
        )
        tx.commit()
        return True


def check_code(tx: UnitOfWork, portal: Portal, user: User, code: str, client: Client, *, kind: LogKind) -> Check:
    """A TOTP code or a recovery code, counted in the account's limits like a password (caller's transaction)."""
    now = clock.utcnow()
    counters = login.open_counters(tx.session, user.id, "", client, now)
    if counters.retry_at(now) is not None:
        record(tx.session, kind, LogOutcome.REFUSED, client, user_id=user.id)
        return Check.THROTTLED
    code = normalise_code(code)
    factor = tx.session.get(TotpFactor, user.id, with_for_update=True)
    ok = False
    if factor is not None and factor.confirmed_at is not None and factor.sealed_secret and user.is_active:
        if looks_like_totp(code):
            secret = unseal(portal.settings.totp_ring, user.id, factor.sealed_secret)
            step = accepted_step(secret, code, now, factor.last_step) if secret else None
            if step is not None:
                factor.last_step, ok = step, True
        elif looks_like_recovery_code(code):
            recovery = tx.session.scalar(
                select(RecoveryCode)
                .where(
                    RecoveryCode.user_id == user.id,
                    RecoveryCode.used_at.is_(None),
                    RecoveryCode.code_hash == recovery_hash(portal.settings.internal_key, user.id, code),
                )
                .with_for_update()
            )
            if recovery is not None:
                recovery.used_at, ok = now, True
                record(tx.session, LogKind.MFA_RECOVERY_CODE_USED, LogOutcome.SUCCESS, client, user_id=user.id)
    if ok:
        counters.succeeded(now)
        record(tx.session, kind, LogOutcome.SUCCESS, client, user_id=user.id)
        return Check.OK
    login.count_failure(tx, portal, counters, user, kind, client, now)
    return Check.WRONG


def check_login_code(portal: Portal, user_id: str, code: str, client: Client) -> Check:
    """The second factor of a login waiting for it."""
    with portal.uow() as tx:
        checked = check_code(tx, portal, tx.session.get(User, user_id), code, client, kind=LogKind.MFA_LOGIN)
        tx.commit()
    return checked


@dataclass(frozen=True)
class SteppedUp:
    checked: Check
    opened: sessions.Opened | None = None


def step_up(
    portal: Portal,
    user_id: str,
    *,
    session_ref: str,
    uses_code: bool,
    secret: str,
    token: str | None,
    user_agent: str | None,
    client: Client,
) -> SteppedUp:
    """Re-authentication before a sensitive change: the TOTP (`uses_code`) or else the password, as `secret`.

    On success the stepped-up session gets a new id (privilege change), the current one dies with this commit.
    """
    with portal.uow() as tx:
        account = tx.session.get(User, user_id)
        if uses_code:
            checked = check_code(tx, portal, account, secret, client, kind=LogKind.STEP_UP)
        else:
            checked = login.check_password(tx, portal, account, "", secret, client, kind=LogKind.STEP_UP)
        opened = None
        if checked is Check.OK:
            current = tx.session.get(Session, session_ref)
            opened = sessions.start(
                tx.session,
                portal,
                user_id,
                user_agent=user_agent,
                replaces=token,
                step_up=True,
                member_id=current.current_member_id if current else None,
            )
        tx.commit()
    return SteppedUp(checked, opened)


def rotate_totp_secrets(portal: Portal) -> Rotation:
    """Re-seal every TOTP secret (in use or pending) not sealed with the TOTP ring's current key (IDENTITY_TOTP_KEYS).

    Each value is replaced only if it is still the one read (compare-and-set), so a concurrent enrolment wins; a
    value no key opens is counted and left as it is. A second run changes nothing.
    """
    ring = portal.settings.totp_ring
    checked = rotated = unreadable = 0
    with portal.uow() as tx:
        rows = tx.session.execute(select(TotpFactor.user_id, TotpFactor.sealed_secret, TotpFactor.pending_secret))
        for user_id, *values in rows.all():
            for column, value in zip((TotpFactor.sealed_secret, TotpFactor.pending_secret), values, strict=True):
                if value is None:
                    continue
                checked += 1
                if not needs_rotation(ring, value):
                    continue
                secret = unseal(ring, user_id, value)
                if secret is None:
                    unreadable += 1
                    continue
                tx.session.execute(
                    update(TotpFactor)
                    .where(TotpFactor.user_id == user_id, column == value)
                    .values({column: seal(ring, user_id, secret)})
                )
                rotated += 1
        tx.commit()
    return Rotation(checked, rotated, unreadable)
