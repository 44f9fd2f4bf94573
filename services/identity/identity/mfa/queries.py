"""Reading an account's second factor: whether it has one, whether it must, what a login still waits for."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from portal_common.service import Portal

from ..models import MemberLink, RecoveryCode, TotpFactor, User
from ..team.rules import LinkKind
from .rules import Stage, mandatory, stage_after_password


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
