"""Links to member companies: first account with the company's codes, invitations, roles, removal, delegations.

Typing a company's member number and n° télédéclarant (checked against the keyed digest members publishes)
or being invited by its administrator both end the same way: an e-mailed single-use link. A new user chooses
a password there (activation); an existing user confirms the new company (invitation). No password is ever
sent, and the answer on screen is the same whether or not the e-mail address has an account.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.digests import digest_matches
from portal_common.service import Portal
from portal_common.vocabulary import MemberStatus

from ..accounts.use_cases import password_problem
from ..firms import use_cases as firms
from ..login import use_cases as login
from ..login.passwords import hash_password
from ..login.rules import throttle_key
from ..models import AccountingFirm, Invitation, MemberDirectoryEntry, MemberLink, OneTimeLink, User
from ..preferences.queries import administrators
from ..preferences.rules import MailTopic, accepts
from ..recovery.queries import valid_link
from ..recovery.rules import LinkPurpose, token_hash
from ..recovery.use_cases import issue_link
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from . import mails
from .queries import pending_invitations
from .rules import (
    DIGEST_PURPOSE,
    LINK_LIFETIME,
    MAX_LINKS_PER_HOUR,
    Codes,
    InviteOutcome,
    LinkKind,
    LinkView,
    Person,
    becomes_admin,
    display_name,
    first_link,
    normalise_mobile,
    removal_problem,
    role_change_problem,
    role_labels,
)


@dataclass(frozen=True)
class CodesCheck:
    outcome: Codes
    member: MemberDirectoryEntry | None = None


def check_company_codes(
    portal: Portal, member_number: str, declarant_code: str, client: Client, *, user_id: str | None = None
) -> CodesCheck:
    """The (member number, n° télédéclarant) pair, counted and delayed per member number like a login."""
    now = clock.utcnow()
    with portal.uow() as tx:
        row = login.locked_row(tx.session, throttle_key(None, f"company-codes:{member_number}"), now)
        if not login.POLICY.may_try(login.state_of(row), now):
            record(tx.session, LogKind.COMPANY_CODES, LogOutcome.REFUSED, client, user_id=user_id)
            tx.commit()
            return CodesCheck(Codes.THROTTLED)
        entry = tx.session.scalar(
            select(MemberDirectoryEntry).where(MemberDirectoryEntry.member_number == member_number)
        )
        ok = digest_matches(
            portal.settings.internal_key,
            DIGEST_PURPOSE,
            declarant_code,
            entry.declarant_code_digest if entry is not None else None,
        )
        if ok and entry.status != MemberStatus.CLOSED:
            tx.session.delete(row)
            record(
                tx.session,
                LogKind.COMPANY_CODES,
                LogOutcome.SUCCESS,
                client,
                user_id=user_id,
                member_id=entry.member_id,
            )
            member = MemberDirectoryEntry(
                member_id=entry.member_id,
                member_number=entry.member_number,
                name=entry.name,
                status=entry.status,
                version=entry.version,
            )
            tx.commit()
            return CodesCheck(Codes.OK, member)
        state, _ = login.POLICY.after_failure(login.state_of(row), now)
        login.store(row, state, now)
        record(tx.session, LogKind.COMPANY_CODES, LogOutcome.FAILURE, client, user_id=user_id)
        tx.commit()
        return CodesCheck(Codes.WRONG)


# --- invitations ---------------------------------------------------------------------------------------


def _issue(tx: UnitOfWork, portal: Portal, user: User, purpose: LinkPurpose) -> tuple[str, OneTimeLink]:
    token = issue_link(tx, user, purpose, LINK_LIFETIME)
    tx.session.flush()
    link = tx.session.scalar(select(OneTimeLink).where(OneTimeLink.token_hash == token_hash(token)))
    return token, link


def _too_many_links(db: DbSession, user_id: str) -> bool:
    recent = db.scalar(
        select(func.count())
        .select_from(OneTimeLink)
        .where(
            OneTimeLink.user_id == user_id,
            OneTimeLink.purpose.in_((LinkPurpose.ACTIVATION, LinkPurpose.INVITATION)),
            OneTimeLink.created_at > clock.utcnow() - timedelta(hours=1),
        )
    )
    return recent >= MAX_LINKS_PER_HOUR


def invite(
    tx: UnitOfWork,
    portal: Portal,
    member: MemberDirectoryEntry,
    person: Person,
    *,
    roles: tuple[str, ...],
    kind: LinkKind,
    client: Client,
    invited_by: str | None = None,
    firm: AccountingFirm | None = None,
    also: Sequence[tuple[MemberDirectoryEntry, tuple[str, ...]]] = (),
) -> InviteOutcome:
    """Mail a single-use link giving `person` access to `member`, creating a pending account if needed.

    An accounting firm inviting a collaborator names itself (`firm`) and may give more clients on the same link
    (`also`, each with its roles): accepting makes the person one of the firm's collaborators.
    Answers what happened (sent, already, refused) for the caller's logs and the administrator's page;
    public pages show the same message whatever it is.
    """
    email = person.email.strip().lower()
    # Hashed whether or not the address is known, so the answer takes as long either way (no enumeration).
    # Nobody knows this random password: a new account cannot be used before its activation.
    placeholder_hash = hash_password(secrets.token_urlsafe(32))
    user = tx.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        now = clock.utcnow()
        user = User(
            id=str(uuid.uuid4()),
            email=email,
            display_name=display_name(person.first_name, person.last_name),
            job_title=(person.job_title or None),
            mobile=(normalise_mobile(person.mobile or "") or None),
            password_hash=placeholder_hash,
            staff_roles="",
            is_active=False,
            created_at=now,
            activated_at=None,
        )
        tx.session.add(user)
        tx.session.flush()
    closed = user.is_active is False and user.activated_at is not None  # a closed account stays closed
    if not closed and tx.session.get(MemberLink, (user.id, member.member_id)) is not None:
        return InviteOutcome.ALREADY
    if closed or _too_many_links(tx.session, user.id):
        record(
            tx.session,
            LogKind.INVITATION,
            LogOutcome.REFUSED,
            client,
            user_id=user.id,
            actor_id=invited_by,
            member_id=member.member_id,
        )
        return InviteOutcome.REFUSED
    purpose = LinkPurpose.INVITATION if user.activated_at is not None else LinkPurpose.ACTIVATION
    token, link = _issue(tx, portal, user, purpose)
    for entry, entry_roles in ((member, roles), *also):
        tx.session.add(
            Invitation(
                id=str(uuid.uuid4()),
                link_id=link.id,
                user_id=user.id,
                member_id=entry.member_id,
                roles=",".join(sorted(entry_roles)),
                kind=kind,
                invited_by=invited_by,
                firm_id=firm.id if firm is not None else None,
                created_at=clock.utcnow(),
                accepted_at=None,
            )
        )
    record(
        tx.session,
        LogKind.INVITATION,
        LogOutcome.SUCCESS,
        client,
        user_id=user.id,
        actor_id=invited_by,
        member_id=member.member_id,
    )
    path = "/connexion/activation/" if purpose == LinkPurpose.ACTIVATION else "/connexion/invitation/"
    url = f"{portal.settings.public_url}{path}{token}"
    key = f"{purpose}:{token_hash(token)}"
    if firm is not None:
        clients = [member.name, *(entry.name for entry, _ in also)]
        tx.mail(
            mails.collaborator_invitation(
                user.email,
                firm=firm.name,
                clients=clients,
                link=url,
                key=key,
                new_account=purpose == LinkPurpose.ACTIVATION,
            )
        )
    elif purpose == LinkPurpose.ACTIVATION:
        tx.mail(mails.account_activation(user.email, company=member.name, link=url, key=key))
    else:
        tx.mail(mails.company_invitation(user.email, company=member.name, link=url, key=key))
    return InviteOutcome.SENT


def request_first_account(portal: Portal, member_id: str, person: Person, *, delegate: bool, client: Client) -> None:
    """After the company's codes: the activation (or invitation) mail; nothing on screen tells which."""
    with portal.uow() as tx:
        member = tx.session.get(MemberDirectoryEntry, member_id)
        if member is None:
            return
        roles, kind = first_link(delegate=delegate)
        invite(tx, portal, member, person, roles=roles, kind=kind, client=client)
        tx.commit()


def _accept(tx: UnitOfWork, portal: Portal, user: User, invitations: list[Invitation], client: Client) -> None:
    now = clock.utcnow()
    for invitation in invitations:
        invitation.accepted_at = now
        if invitation.firm_id is not None:
            firms.join_as_collaborator(tx, user, invitation.firm_id)
        add_link(
            tx,
            portal,
            user,
            invitation.member_id,
            roles=tuple(sorted(invitation.role_set)),
            kind=invitation.kind,
            client=client,
            actor_id=invitation.invited_by or user.id,
        )


def add_link(
    tx: UnitOfWork,
    portal: Portal,
    user: User,
    member_id: str,
    *,
    roles: tuple[str, ...],
    kind: LinkKind,
    client: Client,
    actor_id: str | None = None,
) -> bool:
    """A new link (an existing one is kept as it is); the company's other users hear of a new administrator."""
    if tx.session.get(MemberLink, (user.id, member_id)) is not None:
        return False
    tx.session.add(
        MemberLink(
            user_id=user.id, member_id=member_id, roles=",".join(sorted(roles)), kind=kind, created_at=clock.utcnow()
        )
    )
    record(
        tx.session,
        LogKind.DELEGATION_ADDED if kind == LinkKind.DELEGATE else LogKind.MEMBER_LINK_ADDED,
        LogOutcome.SUCCESS,
        client,
        user_id=user.id,
        actor_id=actor_id or user.id,
        member_id=member_id,
    )
    if kind == LinkKind.DELEGATE:
        firms.ensure_firm(tx, user)
        if actor_id is None or actor_id == user.id:
            tell_about_firm(tx, portal, member_id, user)  # the firm typed the company's codes itself
    if becomes_admin(None, frozenset(roles), kind):
        tell_about_new_admin(tx, portal, member_id, user)
    return True


def activate(portal: Portal, token: str, *, new: str, confirmation: str, client: Client) -> dict[str, str] | None:
    """The new user's password: the account opens with every company waiting for it. No automatic sign-in."""
    with portal.uow() as tx:
        link = valid_link(tx.session, token, LinkPurpose.ACTIVATION, lock=True)
        if link is None:
            return {"link": "expired"}
        user = tx.session.get(User, link.user_id)
        pending = pending_invitations(tx.session, user.id)
        problem = password_problem(tx.session, user, new, extra_member_ids=tuple(i.member_id for i in pending))
        if problem is None and new != confirmation:
            return {"confirmation": "Les deux saisies du mot de passe sont différentes."}
        if problem is not None:
            return {"new_password": problem}
        now = clock.utcnow()
        user.password_hash = hash_password(new)
        user.is_active, user.activated_at = True, now
        link.used_at = now
        login.clear(tx.session, user.id)
        record(tx.session, LogKind.ACCOUNT_ACTIVATION, LogOutcome.SUCCESS, client, user_id=user.id)
        _accept(tx, portal, user, pending, client)
        tx.commit()
    return None


def accept_invitation(portal: Portal, token: str, client: Client) -> bool:
    """An existing user confirms the company the e-mail offered; False when the link is no longer valid."""
    with portal.uow() as tx:
        link = valid_link(tx.session, token, LinkPurpose.INVITATION, lock=True)
        if link is None:
            return False
        user = tx.session.get(User, link.user_id)
        link.used_at = clock.utcnow()
        _accept(tx, portal, user, pending_invitations(tx.session, user.id, link.id), client)
        tx.commit()
    return True


def add_company(portal: Portal, user_id: str, member: MemberDirectoryEntry, *, delegate: bool, client: Client) -> bool:
    """ "Ajouter une entreprise" by a signed-in user who typed its codes; False when already linked."""
    roles, kind = first_link(delegate=delegate)
    with portal.uow() as tx:
        user = tx.session.get(User, user_id)
        added = add_link(tx, portal, user, member.member_id, roles=roles, kind=kind, client=client)
        tx.commit()
    return added


# --- the company's users, seen and managed by its administrator --------------------------------------------


def _locked_links(db: DbSession, member_id: str) -> list[MemberLink]:
    """Every link of the company, locked: two administrators cannot both step down at once."""
    return list(
        db.scalars(
            select(MemberLink).where(MemberLink.member_id == member_id).order_by(MemberLink.user_id).with_for_update()
        )
    )


def _views(links: list[MemberLink]) -> list[LinkView]:
    return [LinkView(link.user_id, link.kind, link.role_set) for link in links]


class NotFound(Exception):
    """The user has no link with the current company (or does not exist), or the company is unknown: the page
    answers 404."""


def change_roles(
    portal: Portal, member_id: str, user_id: str, roles: frozenset[str], *, actor_id: str, client: Client
) -> str | None:
    """The new roles of one user of the company; a French message when refused."""
    with portal.uow() as tx:
        links = _locked_links(tx.session, member_id)
        target = next((link for link in links if link.user_id == user_id), None)
        if target is None:
            raise NotFound(user_id)
        problem = role_change_problem(_views(links), user_id, roles)
        if problem is not None:
            record(
                tx.session,
                LogKind.ROLES_CHANGED,
                LogOutcome.REFUSED,
                client,
                user_id=user_id,
                actor_id=actor_id,
                member_id=member_id,
            )
            tx.commit()
            return problem
        before = target.role_set
        target.roles = ",".join(sorted(roles))
        record(
            tx.session,
            LogKind.ROLES_CHANGED,
            LogOutcome.SUCCESS,
            client,
            user_id=user_id,
            actor_id=actor_id,
            member_id=member_id,
        )
        user = tx.session.get(User, user_id)
        if becomes_admin(before, roles, target.kind):
            tell_about_new_admin(tx, portal, member_id, user)
        if before != roles and user.is_active and accepts(user.mail_opt_outs, MailTopic.ACCESS):
            member = tx.session.get(MemberDirectoryEntry, member_id)
            tx.mail(
                mails.roles_changed(
                    user.email,
                    company=member.name if member is not None else "votre entreprise",
                    roles=role_labels(roles),
                    public_url=portal.settings.public_url,
                    key=f"roles:{member_id}:{user_id}:{clock.utcnow().isoformat()}",
                )
            )
        tx.commit()
    return None


def remove_link(portal: Portal, member_id: str, user_id: str, *, actor_id: str, client: Client) -> str | None:
    """Remove a user from the company or revoke a firm's delegation: effective at the user's next request."""
    with portal.uow() as tx:
        links = _locked_links(tx.session, member_id)
        target = next((link for link in links if link.user_id == user_id), None)
        if target is None:
            raise NotFound(user_id)
        kind = LogKind.DELEGATION_REVOKED if target.kind == LinkKind.DELEGATE else LogKind.USER_REMOVED
        problem = removal_problem(_views(links), user_id)
        if problem is not None:
            record(
                tx.session, kind, LogOutcome.REFUSED, client, user_id=user_id, actor_id=actor_id, member_id=member_id
            )
            tx.commit()
            return problem
        tx.session.delete(target)
        record(tx.session, kind, LogOutcome.SUCCESS, client, user_id=user_id, actor_id=actor_id, member_id=member_id)
        if target.kind == LinkKind.DELEGATE:
            # The firm loses the client: so do the collaborators it had given it to.
            firms.drop_client_from_collaborators(tx, user_id, member_id, actor_id=actor_id, client=client)
        tx.commit()
    return None


def invite_member(
    portal: Portal, member_id: str, person: Person, *, roles: tuple[str, ...], invited_by: str, client: Client
) -> InviteOutcome:
    """A company administrator invites someone to the company with the roles he chose."""
    with portal.uow() as tx:
        entry = tx.session.get(MemberDirectoryEntry, member_id)
        if entry is None:
            raise NotFound(member_id)
        outcome = invite(
            tx, portal, entry, person, roles=roles, kind=LinkKind.MEMBER, client=client, invited_by=invited_by
        )
        tx.commit()
    return outcome


def tell_about_new_admin(tx: UnitOfWork, portal: Portal, member_id: str, new_admin: User) -> None:
    """Every other active user of the company is told by e-mail (as URSSAF does)."""
    member = tx.session.get(MemberDirectoryEntry, member_id)
    company = member.name if member is not None else "votre entreprise"
    others = tx.session.scalars(
        select(User)
        .join(MemberLink, MemberLink.user_id == User.id)
        .where(MemberLink.member_id == member_id, User.id != new_admin.id, User.is_active.is_(True))
    ).all()
    stamp = clock.utcnow().isoformat()
    for other in others:
        tx.mail(
            mails.new_administrator(
                other.email,
                company=company,
                admin_name=new_admin.display_name,
                public_url=portal.settings.public_url,
                key=f"new-admin:{member_id}:{new_admin.id}:{other.id}:{stamp}",
            )
        )


def tell_about_firm(tx: UnitOfWork, portal: Portal, member_id: str, firm_user: User) -> None:
    """A firm attached itself with the company's codes: its administrators are told (a security e-mail, always sent)."""
    member = tx.session.get(MemberDirectoryEntry, member_id)
    company = member.name if member is not None else "votre entreprise"
    for admin in administrators(tx.session, member_id):
        tx.mail(
            mails.firm_attached(
                admin.email,
                company=company,
                firm=firm_user.display_name,
                firm_email=firm_user.email,
                public_url=portal.settings.public_url,
                key=f"firm-attached:{member_id}:{firm_user.id}:{admin.id}",
            )
        )
