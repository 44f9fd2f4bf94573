"""Reading an account's second factor: whether it has one, whether it must, what a login still waits for."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.service import Portal

from ..models import MemberLink, RecoveryCode, TotpFactor, User
from ..team.rules import LinkKind
from .rules import ENROLMENT_REPLAY_WINDOW, Stage, is_code_just_used, mandatory, normalise_code, stage_after_password
from .sealing import unseal


def confirmed_factor(db: DbSession, user_id: str) -> TotpFactor | None:
    return db.scalar(select(TotpFactor).where(TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None)))


def has_factor(db: DbSession, user_id: str) -> bool:
    return confirmed_factor(db, user_id) is not None


def is_delegate(db: DbSession, user_id: str) -> bool:
    return (
        db.scalar(
            select(func.count())
            .select_from(MemberLink)
            .where(MemberLink.user_id == user_id, MemberLink.kind == LinkKind.DELEGATE)
        )
        > 0
    )


def must_use(db: DbSession, portal: Portal, user: User) -> bool:
    """Staff and accounting-firm users must have a second factor (unless the setting turns the rule off)."""
    return mandatory(
        is_staff=bool(user.staff_role_set), is_delegate=is_delegate(db, user.id), enforced=portal.settings.mfa_mandatory
    )


def stage_for(portal: Portal, user: User) -> Stage:
    """What a login of this user still waits for once the first factor is given."""
    with portal.db.session_factory() as db:
        return stage_after_password(has_factor=has_factor(db, user.id), must_enrol=must_use(db, portal, user))


def recovery_codes_left(db: DbSession, user_id: str) -> int:
    return db.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )


def just_enrolled_with(portal: Portal, user_id: str, code: str) -> bool:
    """The factor was confirmed a moment ago by this very code: the activation form was sent twice (a double
    click). Its recovery codes went to the first answer; the second is told the factor is on, not « code
    incorrect » with a new QR code. A code never accepted, or an old factor, answers False."""
    now = clock.utcnow()
    with portal.db.session_factory() as db:
        factor = confirmed_factor(db, user_id)
        if factor is None or factor.confirmed_at is None:
            return False
        if now - factor.confirmed_at > ENROLMENT_REPLAY_WINDOW:
            return False
        secret = unseal(portal.settings.totp_ring, user_id, factor.sealed_secret) if factor.sealed_secret else None
    return secret is not None and is_code_just_used(secret, normalise_code(code), now, factor.last_step)
