"""The TOTP factor and recovery codes of an account: enrolment, verification under the lockout rules, removal."""
from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.sealing import derive_key
from portal_common.sealing import seal as seal_bytes
from portal_common.sealing import unseal as unseal_bytes
from portal_common.service import Portal

from . import lockout, mails, mfa, security_log
from .credentials import Check
from .models import MemberLink, RecoveryCode, TotpFactor, User
from .security_log import Client

# An enrolment left unconfirmed this long gets a new secret when the page is opened again.
ENROLMENT_LIFETIME = timedelta(minutes=15)


def _sealing_key(internal_key: str) -> bytes:
    return derive_key(internal_key, "identity|totp-secret|v1")


def seal(internal_key: str, user_id: str, secret: str) -> str:
    """AES-256-GCM, bound to the account: a sealed secret copied onto another row does not open."""
    return base64.urlsafe_b64encode(seal_bytes(_sealing_key(internal_key), secret.encode(),
                                               f"totp|{user_id}".encode())).decode()


def unseal(internal_key: str, user_id: str, sealed: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return unseal_bytes(_sealing_key(internal_key), raw, f"totp|{user_id}".encode()).decode()
    except (InvalidTag, ValueError):
        return None


def _recovery_hash(internal_key: str, user_id: str, code: str) -> str:
    # Keyed: 49 bits are too few for a plain hash to resist an offline search after a database leak.
    return hmac.new(internal_key.encode(), f"recovery-code|{user_id}|{code}".encode(), hashlib.sha256).hexdigest()


def confirmed_factor(db: DbSession, user_id: str) -> TotpFactor | None:
    return db.scalar(select(TotpFactor).where(TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None)))


def has_factor(db: DbSession, user_id: str) -> bool:
    return confirmed_factor(db, user_id) is not None


def is_delegate(db: DbSession, user_id: str) -> bool:
    return db.scalar(select(func.count()).select_from(MemberLink).where(
        MemberLink.user_id == user_id, MemberLink.kind == "delegate")) > 0


def must_use(db: DbSession, portal: Portal, user: User) -> bool:
    """Staff and accounting-firm users must have a second factor (unless the setting turns the rule off)."""
    return mfa.mandatory(is_staff=bool(user.staff_role_set), is_delegate=is_delegate(db, user.id),
                         enforced=portal.settings.mfa_mandatory)


def stage_for(portal: Portal, user: User) -> str:
    """What a login of this user still waits for once the first factor is given."""
    with portal.db.session_factory() as db:
        return mfa.stage_after_password(has_factor=has_factor(db, user.id), must_enrol=must_use(db, portal, user))


def recovery_codes_left(db: DbSession, user_id: str) -> int:
    return db.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str

    @property
    def qr_svg(self) -> str:
        return mfa.qr_svg(self.uri)

    @property
    def manual_key(self) -> str:
        return mfa.grouped(self.secret)


def begin_enrolment(portal: Portal, user: User) -> Enrolment:
    """A pending secret for the QR code; the factor in use (if any) keeps working until a code confirms the new one."""
    key = portal.settings.internal_key
    now = clock.utcnow()
    with portal.uow() as tx:
        row = tx.session.get(TotpFactor, user.id, with_for_update=True)
        if row is None:
            row = TotpFactor(user_id=user.id, created_at=now, last_step=0)
            tx.session.add(row)
        secret = _pending_secret(key, row, now)
        if secret is None:
            secret = mfa.new_secret()
            row.pending_secret, row.pending_since = seal(key, user.id, secret), now
        tx.commit()
    return Enrolment(secret=secret, uri=mfa.provisioning_uri(secret, user.email))


def _pending_secret(key: str, row: TotpFactor, now: datetime) -> str | None:
    if row.pending_secret is None or row.pending_since is None or now - row.pending_since >= ENROLMENT_LIFETIME:
        return None
    return unseal(key, row.user_id, row.pending_secret)


def confirm_enrolment(portal: Portal, user: User, code: str, client: Client) -> list[str] | None:
    """The first code from the app proves the scan: the factor counts from now and 10 new recovery codes are
    returned (to be shown once). None when the code is wrong."""
    key = portal.settings.internal_key
    now = clock.utcnow()
    with portal.uow() as tx:
        row = tx.session.get(TotpFactor, user.id, with_for_update=True)
        secret = _pending_secret(key, row, now) if row is not None else None
        step = mfa.accepted_step(secret, mfa.normalise_code(code), now, 0) if secret else None
        if step is None:
            security_log.record(tx.session, "mfa_enrolment", "failure", client, user_id=user.id)
            tx.commit()
            return None
        row.sealed_secret, row.confirmed_at, row.last_step = row.pending_secret, now, step
        row.pending_secret = row.pending_since = None
        codes = _replace_recovery_codes(tx, portal, user.id)
        security_log.record(tx.session, "mfa_enrolment", "success", client, user_id=user.id)
        tx.mail(mails.mfa_changed(user.email, public_url=portal.settings.public_url, enabled=True,
                                  key=f"mfa:{user.id}:{now.isoformat()}"))
        tx.commit()
        return codes


def _replace_recovery_codes(tx: UnitOfWork, portal: Portal, user_id: str) -> list[str]:
    now = clock.utcnow()
    tx.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = mfa.new_recovery_codes()
    for code in codes:
        tx.session.add(RecoveryCode(id=str(uuid.uuid4()), user_id=user_id, created_at=now, used_at=None,
                                    code_hash=_recovery_hash(portal.settings.internal_key, user_id,
                                                             mfa.normalise_code(code))))
    return codes


def regenerate_recovery_codes(portal: Portal, user: User, client: Client) -> list[str] | None:
    with portal.uow() as tx:
        if not has_factor(tx.session, user.id):
            return None
        codes = _replace_recovery_codes(tx, portal, user.id)
        security_log.record(tx.session, "mfa_recovery_codes", "success", client, user_id=user.id)
        tx.commit()
        return codes


def disable(portal: Portal, user: User, client: Client) -> bool:
    """Removes the factor and its codes; refused (False) for users who must keep one."""
    now = clock.utcnow()
    with portal.uow() as tx:
        if must_use(tx.session, portal, user):
            security_log.record(tx.session, "mfa_disabled", "refused", client, user_id=user.id)
            tx.commit()
            return False
        tx.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
        tx.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        security_log.record(tx.session, "mfa_disabled", "success", client, user_id=user.id)
        tx.mail(mails.mfa_changed(user.email, public_url=portal.settings.public_url, enabled=False,
                                  key=f"mfa-off:{user.id}:{now.isoformat()}"))
        tx.commit()
        return True


def check_code(tx: UnitOfWork, portal: Portal, user: User, code: str, client: Client, *, kind: str) -> Check:
    """A TOTP code or a recovery code, counted in the account's lockout like a password."""
    now = clock.utcnow()
    row = lockout.locked_row(tx.session, lockout.throttle_key(user.id), now)
    if not lockout.POLICY.may_try(lockout.state_of(row), now):
        security_log.record(tx.session, kind, "refused", client, user_id=user.id)
        return Check.THROTTLED
    code = mfa.normalise_code(code)
    factor = tx.session.get(TotpFactor, user.id, with_for_update=True)
    ok = False
    if factor is not None and factor.confirmed_at is not None and factor.sealed_secret and user.is_active:
        if mfa.looks_like_totp(code):
            secret = unseal(portal.settings.internal_key, user.id, factor.sealed_secret)
            step = mfa.accepted_step(secret, code, now, factor.last_step) if secret else None
            if step is not None:
                factor.last_step, ok = step, True
        elif mfa.looks_like_recovery_code(code):
            recovery = tx.session.scalar(select(RecoveryCode).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                RecoveryCode.code_hash == _recovery_hash(portal.settings.internal_key, user.id, code))
                .with_for_update())
            if recovery is not None:
                recovery.used_at, ok = now, True
                security_log.record(tx.session, "mfa_recovery_code_used", "success", client, user_id=user.id)
    if ok:
        tx.session.delete(row)
        security_log.record(tx.session, kind, "success", client, user_id=user.id)
        return Check.OK
    state, locked = lockout.POLICY.after_failure(lockout.state_of(row), now)
    lockout.store(row, state, now)
    security_log.record(tx.session, kind, "failure", client, user_id=user.id)
    if locked:
        security_log.record(tx.session, "lockout", "success", client, user_id=user.id)
        tx.mail(mails.account_locked(user.email, public_url=portal.settings.public_url, until=state.blocked_until,
                                     key=f"locked:{user.id}:{now.isoformat()}"))
    return Check.WRONG
