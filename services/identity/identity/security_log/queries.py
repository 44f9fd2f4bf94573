"""Reading the security log: a company administrator sees his company's entries, staff see all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..models import MemberLink, SecurityEvent, User
from ..team.rules import LinkKind
from .rules import PAGE_SIZE, Filters, day_bounds


def company_scope(member_id: str):  # type: ignore[no-untyped-def]
    """The company's entries: those about it, and the account events of its own users (not of the accounting
    firms it delegates to: their logins belong to the firm)."""
    own_users = select(MemberLink.user_id).where(MemberLink.member_id == member_id, MemberLink.kind == LinkKind.MEMBER)
    return or_(
        SecurityEvent.member_id == member_id,
        and_(SecurityEvent.member_id.is_(None), SecurityEvent.user_id.in_(own_users)),
    )


@dataclass(frozen=True)
class LogPage:
    rows: list[Any]  # (SecurityEvent, the user it is about or None, the actor or None)
    total: int
    pages: int


def entries(db: Session, filters: Filters, *, is_staff: bool, member_id: str | None) -> LogPage:
    """One page of entries, newest first: staff read everything, anyone else the company's entries only."""
    conditions = []
    if not is_staff:
        conditions.append(company_scope(member_id))
    if filters.kind:
        conditions.append(SecurityEvent.kind == filters.kind)
    if filters.outcome:
        conditions.append(SecurityEvent.outcome == filters.outcome)
    low, high = day_bounds(filters.start, filters.end)
    if low is not None:
        conditions.append(SecurityEvent.occurred_at >= low)
    if high is not None:
        conditions.append(SecurityEvent.occurred_at < high)
    who, actor = aliased(User), aliased(User)
    total = db.scalar(select(func.count()).select_from(SecurityEvent).where(*conditions))
    rows = db.execute(
        select(SecurityEvent, who, actor)
        .outerjoin(who, who.id == SecurityEvent.user_id)
        .outerjoin(actor, actor.id == SecurityEvent.actor_id)
        .where(*conditions)
        .order_by(SecurityEvent.occurred_at.desc(), SecurityEvent.id)
        .offset(filters.offset)
        .limit(PAGE_SIZE)
    ).all()
    return LogPage(rows=list(rows), total=total, pages=max(1, -(-total // PAGE_SIZE)))
