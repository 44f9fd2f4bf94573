"""Who receives an optional e-mail: the addresses of the users who did not decline its topic."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from ..models import MemberLink, User
from ..team.rules import ADMIN, LinkKind
from .rules import MailTopic, accepts


def recipients(db: DbSession, user_ids: list[str], topic: MailTopic) -> dict[str, str]:
    """user id -> e-mail of the active users among `user_ids` who accept `topic`."""
    if not user_ids:
        return {}
    users = db.scalars(select(User).where(User.id.in_(user_ids[:500]), User.is_active.is_(True)))
    return {user.id: user.email for user in users if accepts(user.mail_opt_outs, topic)}


def administrators(db: DbSession, member_id: str, topic: MailTopic | None = None) -> list[User]:
    """The company's own active administrators (those who accept `topic`, when it is an optional e-mail)."""
    rows = db.execute(
        select(User, MemberLink)
        .join(MemberLink, MemberLink.user_id == User.id)
        .where(MemberLink.member_id == member_id, MemberLink.kind == LinkKind.MEMBER, User.is_active.is_(True))
        .order_by(User.email)
    ).all()
    return [
        user for user, link in rows if ADMIN in link.role_set and (topic is None or accepts(user.mail_opt_outs, topic))
    ]
