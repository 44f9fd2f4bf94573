"""Reading a company's users, pending invitations and what an e-mailed link brings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.service import Portal

from ..models import Invitation, MemberDirectoryEntry, MemberLink, OneTimeLink, User
from ..recovery.queries import valid_link
from ..recovery.rules import LinkPurpose
from .rules import LinkKind


def invitation_of(portal: Portal, token: str, purpose: LinkPurpose) -> tuple[User, list[MemberDirectoryEntry]] | None:
    """Who the link is for and the companies it brings, or None when it is no longer valid."""
    with portal.db.session_factory() as db:
        link = valid_link(db, token, purpose)
        if link is None:
            return None
        user = db.get(User, link.user_id)
        members = db.scalars(
            select(MemberDirectoryEntry)
            .join(Invitation, Invitation.member_id == MemberDirectoryEntry.member_id)
            .where(Invitation.link_id == link.id)
        ).all()
        db.expunge_all()
        return user, list(members)


def pending_invitations(db: DbSession, user_id: str, link_id: str | None = None) -> list[Invitation]:
    """Invitations waiting for the user: one link's, or (at activation) every one whose link is still valid."""
    stmt = (
        select(Invitation)
        .join(OneTimeLink, OneTimeLink.id == Invitation.link_id)
        .where(Invitation.user_id == user_id, Invitation.accepted_at.is_(None))
    )
    if link_id is not None:
        stmt = stmt.where(Invitation.link_id == link_id)
    else:
        stmt = stmt.where(OneTimeLink.expires_at > clock.utcnow())
    return list(db.scalars(stmt))


@dataclass
class Team:
    users: list[tuple[MemberLink, User]] = field(default_factory=list)
    delegates: list[tuple[MemberLink, User]] = field(default_factory=list)
    pending: list[tuple[Invitation, User, datetime]] = field(default_factory=list)


def team_of(portal: Portal, member_id: str) -> Team:
    """The company's users, the accounting firms it delegates to, and the invitations still waiting."""
    with portal.db.session_factory() as db:
        team = Team()
        for link, user in db.execute(
            select(MemberLink, User)
            .join(User, User.id == MemberLink.user_id)
            .where(MemberLink.member_id == member_id)
            .order_by(User.display_name)
        ).all():
            (team.delegates if link.kind == LinkKind.DELEGATE else team.users).append((link, user))
        now = clock.utcnow()
        team.pending = [
            (invitation, user, expires)
            for invitation, user, expires in db.execute(
                select(Invitation, User, OneTimeLink.expires_at)
                .join(User, User.id == Invitation.user_id)
                .join(OneTimeLink, OneTimeLink.id == Invitation.link_id)
                .where(
                    Invitation.member_id == member_id,
                    Invitation.accepted_at.is_(None),
                    OneTimeLink.used_at.is_(None),
                    OneTimeLink.expires_at > now,
                )
                .order_by(Invitation.created_at)
            ).all()
        ]
        db.expunge_all()
        return team
