"""Reading an accounting firm: who is in it, its clients and the roles it holds there, each collaborator's share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.service import Portal

from ..models import AccountingFirm, FirmUser, Invitation, MemberDirectoryEntry, MemberLink, OneTimeLink, User
from ..team.rules import LinkKind
from .rules import FirmRole


def membership(db: DbSession, user_id: str) -> tuple[FirmUser, AccountingFirm] | None:
    found = db.execute(
        select(FirmUser, AccountingFirm)
        .join(AccountingFirm, AccountingFirm.id == FirmUser.firm_id)
        .where(FirmUser.user_id == user_id)
    ).first()
    return (found[0], found[1]) if found else None


def is_firm_admin(portal: Portal, user_id: str) -> bool:
    with portal.db.session_factory() as db:
        found = membership(db, user_id)
        return found is not None and found[0].role == FirmRole.ADMIN


def firm_roles(db: DbSession, firm_id: str) -> dict[str, frozenset[str]]:
    """The firm's clients and the roles it holds on each: the delegations of its administrators (united)."""
    roles: dict[str, frozenset[str]] = {}
    for link in db.scalars(
        select(MemberLink)
        .join(FirmUser, FirmUser.user_id == MemberLink.user_id)
        .where(FirmUser.firm_id == firm_id, FirmUser.role == FirmRole.ADMIN, MemberLink.kind == LinkKind.DELEGATE)
    ):
        roles[link.member_id] = roles.get(link.member_id, frozenset()) | link.role_set
    return roles


def grants_of(db: DbSession, user_id: str, member_ids: set[str] | None = None) -> dict[str, frozenset[str]]:
    """A user's delegations (on the firm's clients when `member_ids` is given)."""
    return {
        link.member_id: link.role_set
        for link in db.scalars(
            select(MemberLink).where(MemberLink.user_id == user_id, MemberLink.kind == LinkKind.DELEGATE)
        )
        if member_ids is None or link.member_id in member_ids
    }


@dataclass
class Collaborator:
    user: User
    grants: dict[str, frozenset[str]]


@dataclass
class FirmView:
    firm: AccountingFirm
    clients: list[tuple[MemberDirectoryEntry, frozenset[str]]] = field(default_factory=list)
    collaborators: list[Collaborator] = field(default_factory=list)
    pending: list[tuple[User, list[str], datetime]] = field(default_factory=list)

    def client_name(self, member_id: str) -> str:
        return next((entry.name for entry, _ in self.clients if entry.member_id == member_id), member_id)


def firm_view(portal: Portal, admin_id: str) -> FirmView | None:
    """The firm of this administrator with its clients, collaborators and invitations still waiting; None when the
    user administers no firm."""
    with portal.db.session_factory() as db:
        found = membership(db, admin_id)
        if found is None or found[0].role != FirmRole.ADMIN:
            return None
        firm = found[1]
        roles = firm_roles(db, firm.id)
        view = FirmView(firm=firm)
        entries = db.scalars(
            select(MemberDirectoryEntry)
            .where(MemberDirectoryEntry.member_id.in_(list(roles)))
            .order_by(MemberDirectoryEntry.name)
        ).all()
        view.clients = [(entry, roles[entry.member_id]) for entry in entries]
        for user in db.scalars(
            select(User)
            .join(FirmUser, FirmUser.user_id == User.id)
            .where(FirmUser.firm_id == firm.id, FirmUser.role == FirmRole.COLLABORATOR)
            .order_by(User.display_name)
        ):
            view.collaborators.append(Collaborator(user, grants_of(db, user.id, set(roles))))
        waiting: dict[str, tuple[User, list[str], datetime]] = {}
        for invitation, user, expires in db.execute(
            select(Invitation, User, OneTimeLink.expires_at)
            .join(User, User.id == Invitation.user_id)
            .join(OneTimeLink, OneTimeLink.id == Invitation.link_id)
            .where(
                Invitation.firm_id == firm.id,
                Invitation.accepted_at.is_(None),
                OneTimeLink.used_at.is_(None),
                OneTimeLink.expires_at > clock.utcnow(),
            )
            .order_by(Invitation.created_at)
        ):
            waiting.setdefault(user.id, (user, [], expires))[1].append(invitation.member_id)
        view.pending = list(waiting.values())
        db.expunge_all()
        return view


def collaborator_of(portal: Portal, admin_id: str, user_id: str) -> tuple[FirmView, Collaborator] | None:
    view = firm_view(portal, admin_id)
    if view is None:
        return None
    found = next((c for c in view.collaborators if c.user.id == user_id), None)
    return (view, found) if found else None
