"""An accounting firm's collaborators: invited by e-mail with the clients and roles the firm's administrator
chose, changed, removed. A collaborator's access is his own delegations, so the session check applies a change at
his next request."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.service import Portal

from ..models import AccountingFirm, FirmUser, Invitation, MemberDirectoryEntry, MemberLink, User
from ..preferences.rules import MailTopic, accepts
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from ..team import use_cases as team
from ..team.rules import InviteOutcome, LinkKind, Person
from . import mails
from .queries import firm_roles, grants_of, membership
from .rules import FirmRole, Grants, grant_changes, grant_errors


class NotFound(Exception):
    """The user administers no firm, or the collaborator is not one of his firm's: the page answers 404."""


def ensure_firm(tx: UnitOfWork, user: User) -> None:
    """A user who takes a delegation and belongs to no firm is an accounting firm's account: its firm is made, with
    the user as its administrator (a collaborator already belongs to his firm)."""
    if user.staff_role_set or tx.session.get(FirmUser, user.id) is not None:
        return
    firm = AccountingFirm(id=str(uuid.uuid4()), name=user.display_name, created_at=clock.utcnow())
    tx.session.add(firm)
    tx.session.flush()
    tx.session.add(FirmUser(user_id=user.id, firm_id=firm.id, role=FirmRole.ADMIN, created_at=clock.utcnow()))
    tx.session.flush()


def join_as_collaborator(tx: UnitOfWork, user: User, firm_id: str) -> None:
    """Accepting a firm's invitation makes the user its collaborator (never moves him from another firm)."""
    if tx.session.get(FirmUser, user.id) is None and tx.session.get(AccountingFirm, firm_id) is not None:
        tx.session.add(
            FirmUser(user_id=user.id, firm_id=firm_id, role=FirmRole.COLLABORATOR, created_at=clock.utcnow())
        )
        tx.session.flush()


def drop_client_from_collaborators(
    tx: UnitOfWork, admin_id: str, member_id: str, *, actor_id: str, client: Client
) -> None:
    """The company revoked the delegation of a firm's administrator: the firm's collaborators lose that client too,
    unless another administrator of the firm still holds it."""
    found = membership(tx.session, admin_id)
    if found is None or found[0].role != FirmRole.ADMIN:
        return
    tx.session.flush()
    if member_id in firm_roles(tx.session, found[1].id):
        return
    collaborators = select(FirmUser.user_id).where(
        FirmUser.firm_id == found[1].id, FirmUser.role == FirmRole.COLLABORATOR
    )
    for link in tx.session.scalars(
        select(MemberLink).where(MemberLink.member_id == member_id, MemberLink.user_id.in_(collaborators))
    ):
        _revoke(tx, link, actor_id=actor_id, client=client)


def _revoke(tx: UnitOfWork, link: MemberLink, *, actor_id: str, client: Client) -> None:
    """A collaborator's delegation to one client goes, in the security log."""
    user_id, member_id = link.user_id, link.member_id
    tx.session.delete(link)
    record(
        tx.session,
        LogKind.DELEGATION_REVOKED,
        LogOutcome.SUCCESS,
        client,
        user_id=user_id,
        actor_id=actor_id,
        member_id=member_id,
    )


def _admin_firm(tx: UnitOfWork, admin_id: str) -> AccountingFirm:
    found = membership(tx.session, admin_id)
    if found is None or found[0].role != FirmRole.ADMIN:
        raise NotFound(admin_id)
    return found[1]


def invite_collaborator(
    portal: Portal, admin_id: str, person: Person, grants: Grants, *, client: Client
) -> tuple[InviteOutcome | None, dict[str, str]]:
    """The firm's administrator invites a collaborator with a share of the firm's clients: one e-mailed link brings
    them all. Answers the outcome, or the form's errors."""
    with portal.uow() as tx:
        firm = _admin_firm(tx, admin_id)
        roles = firm_roles(tx.session, firm.id)
        errors = grant_errors(grants, roles, need_one=True)
        if errors:
            return None, errors
        existing = tx.session.scalar(select(User).where(User.email == person.email.strip().lower()))
        if existing is not None and tx.session.get(FirmUser, existing.id) is not None:
            return InviteOutcome.ALREADY, {}
        entries = [tx.session.get(MemberDirectoryEntry, member_id) for member_id in sorted(grants)]
        first, *rest = [(entry, tuple(sorted(grants[entry.member_id]))) for entry in entries if entry is not None]
        outcome = team.invite(
            tx,
            portal,
            first[0],
            person,
            roles=first[1],
            kind=LinkKind.DELEGATE,
            client=client,
            invited_by=admin_id,
            firm=firm,
            also=rest,
        )
        tx.commit()
    return outcome, {}


def _collaborator(tx: UnitOfWork, firm: AccountingFirm, user_id: str) -> User:
    row = tx.session.get(FirmUser, user_id, with_for_update=True)
    if row is None or row.firm_id != firm.id or row.role != FirmRole.COLLABORATOR:
        raise NotFound(user_id)
    return tx.session.get(User, user_id)


def set_grants(portal: Portal, admin_id: str, user_id: str, grants: Grants, *, client: Client) -> dict[str, str]:
    """The clients and roles the collaborator keeps; in effect at his next request. The form's errors, or {}."""
    with portal.uow() as tx:
        firm = _admin_firm(tx, admin_id)
        user = _collaborator(tx, firm, user_id)
        roles = firm_roles(tx.session, firm.id)
        errors = grant_errors(grants, roles, need_one=False)
        if errors:
            return errors
        before = grants_of(tx.session, user.id, set(roles))
        changes = grant_changes(before, grants)
        for member_id in changes.removed:
            _revoke(tx, tx.session.get(MemberLink, (user.id, member_id)), actor_id=admin_id, client=client)
        for member_id, given in changes.changed.items():
            tx.session.get(MemberLink, (user.id, member_id)).roles = ",".join(sorted(given))
            record(
                tx.session,
                LogKind.ROLES_CHANGED,
                LogOutcome.SUCCESS,
                client,
                user_id=user.id,
                actor_id=admin_id,
                member_id=member_id,
            )
        for member_id, given in changes.added.items():
            team.add_link(
                tx,
                portal,
                user,
                member_id,
                roles=tuple(sorted(given)),
                kind=LinkKind.DELEGATE,
                client=client,
                actor_id=admin_id,
            )
        if changes.any:
            names = {
                entry.member_id: entry.name
                for entry in tx.session.scalars(
                    select(MemberDirectoryEntry).where(MemberDirectoryEntry.member_id.in_(list(grants)))
                )
            }
            if accepts(user.mail_opt_outs, MailTopic.ACCESS):
                tx.mail(
                    mails.access_changed(
                        user.email,
                        firm=firm.name,
                        clients=sorted(names[m] for m in grants),
                        public_url=portal.settings.public_url,
                        key=f"firm-access:{user.id}:{clock.utcnow().isoformat()}",
                    )
                )
        tx.commit()
    return {}


def remove_collaborator(portal: Portal, admin_id: str, user_id: str, *, client: Client) -> None:
    """The collaborator leaves the firm: every client of the firm he had, and his pending invitations, go."""
    with portal.uow() as tx:
        firm = _admin_firm(tx, admin_id)
        user = _collaborator(tx, firm, user_id)
        for member_id in grants_of(tx.session, user.id):
            _revoke(tx, tx.session.get(MemberLink, (user.id, member_id)), actor_id=admin_id, client=client)
        tx.session.execute(
            delete(Invitation).where(
                Invitation.user_id == user.id, Invitation.firm_id == firm.id, Invitation.accepted_at.is_(None)
            )
        )
        tx.session.delete(tx.session.get(FirmUser, user.id))
        record(tx.session, LogKind.USER_REMOVED, LogOutcome.SUCCESS, client, user_id=user.id, actor_id=admin_id)
        tx.commit()


def add_collaborator(portal: Portal, *, admin_id: str, user_id: str) -> None:
    """Make an existing user a collaborator of the firm `admin_id` administers (the demo's collaborator)."""
    with portal.uow() as tx:
        firm = _admin_firm(tx, admin_id)
        join_as_collaborator(tx, tx.session.get(User, user_id), firm.id)
        tx.commit()
