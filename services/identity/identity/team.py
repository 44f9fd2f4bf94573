"""Links to member companies: first account with the company's codes, invitations, roles, removal, delegations.

Typing a company's member number and n° télédéclarant (checked against the keyed digest members publishes)
or being invited by its administrator both end the same way: an e-mailed single-use link. A new user chooses
a password there (activation); an existing user confirms the new company (invitation). No password is ever
sent, and the answer on screen is the same whether or not the e-mail address has an account.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.db import UnitOfWork
from portal_common.digests import digest_matches
from portal_common.service import Portal

from . import credentials, lockout, mails, recovery, security_log
from .models import Invitation, MemberDirectoryEntry, MemberLink, OneTimeLink, User
from .passwords import hash_password
from .security_log import Client
from .team_rules import (FIRST_DELEGATE_ROLES, FIRST_MEMBER_ROLES, LinkView, becomes_admin, display_name,
                         normalise_mobile, removal_problem, role_change_problem)

DIGEST_PURPOSE = "declarant-code"
LINK_LIFETIME = timedelta(hours=72)
STEP_LIFETIME = timedelta(minutes=30)  # between the codes and the person's details
MAX_LINKS_PER_HOUR = 3  # activation / invitation mails per account: no mail-bombing


class Codes(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class CodesCheck:
    outcome: Codes
    member: MemberDirectoryEntry | None = None


def check_company_codes(portal: Portal, member_number: str, declarant_code: str, client: Client,
                        *, user_id: str | None = None) -> CodesCheck:
    """The (member number, n° télédéclarant) pair, counted and delayed per member number like a login."""
    now = clock.utcnow()
    with portal.uow() as tx:
        row = lockout.locked_row(tx.session, lockout.throttle_key(None, f"company-codes:{member_number}"), now)
        if not lockout.POLICY.may_try(lockout.state_of(row), now):
            security_log.record(tx.session, "company_codes", "refused", client, user_id=user_id)
            tx.commit()
            return CodesCheck(Codes.THROTTLED)
        entry = tx.session.scalar(select(MemberDirectoryEntry).where(
            MemberDirectoryEntry.member_number == member_number))
        ok = digest_matches(portal.settings.internal_key, DIGEST_PURPOSE, declarant_code,
                            entry.declarant_code_digest if entry is not None else None)
        if ok and entry.status != "closed":
            tx.session.delete(row)
            security_log.record(tx.session, "company_codes", "success", client, user_id=user_id,
                                member_id=entry.member_id)
            member = MemberDirectoryEntry(member_id=entry.member_id, member_number=entry.member_number,
                                          name=entry.name, status=entry.status, version=entry.version)
            tx.commit()
            return CodesCheck(Codes.OK, member)
        state, _ = lockout.POLICY.after_failure(lockout.state_of(row), now)
        lockout.store(row, state, now)
        security_log.record(tx.session, "company_codes", "failure", client, user_id=user_id)
        tx.commit()
        return CodesCheck(Codes.WRONG)


# --- the signed step between the codes and the details form -------------------------------------------

def step_signature(key: str, presession: str, member_id: str, issued: str) -> str:
    """Proves this browser typed the right codes for this company a moment ago."""
    return hmac.new(key.encode(), f"first-account|{presession}|{member_id}|{issued}".encode(),
                    hashlib.sha256).hexdigest()


def step_is_valid(key: str, presession: str, member_id: str, issued: str, signature: str) -> bool:
    try:
        age = clock.utcnow() - datetime.fromisoformat(issued)
    except (TypeError, ValueError):
        return False
    expected = step_signature(key, presession, member_id, issued)
    return hmac.compare_digest(expected, signature) and timedelta(0) <= age < STEP_LIFETIME


# --- invitations ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    email: str
    first_name: str
    last_name: str
    job_title: str | None = None
    mobile: str | None = None


def _issue(tx: UnitOfWork, portal: Portal, user: User, purpose: str) -> tuple[str, OneTimeLink]:
    token = recovery.issue_link(tx, user, purpose, LINK_LIFETIME)
    tx.session.flush()
    link = tx.session.scalar(select(OneTimeLink).where(OneTimeLink.token_hash == recovery.token_hash(token)))
    return token, link


def _too_many_links(db: DbSession, user_id: str) -> bool:
    recent = db.scalar(select(func.count()).select_from(OneTimeLink).where(
        OneTimeLink.user_id == user_id, OneTimeLink.purpose.in_(("activation", "invitation")),
        OneTimeLink.created_at > clock.utcnow() - timedelta(hours=1)))
    return recent >= MAX_LINKS_PER_HOUR


def invite(tx: UnitOfWork, portal: Portal, member: MemberDirectoryEntry, person: Person, *, roles: tuple[str, ...],
           kind: str, client: Client, invited_by: str | None = None) -> str:
    """Mail a single-use link giving `person` access to `member`, creating a pending account if needed.

    Answers what happened ("sent", "already", "refused") for the caller's logs and the administrator's page;
    public pages show the same message whatever it is.
    """
    email = person.email.strip().lower()
    # Hashed whether or not the address is known, so the answer takes as long either way (no enumeration).
    # Nobody knows this random password: a new account cannot be used before its activation.
    placeholder_hash = hash_password(secrets.token_urlsafe(32))
    user = tx.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        now = clock.utcnow()
        user = User(id=str(uuid.uuid4()), email=email,
                    display_name=display_name(person.first_name, person.last_name),
                    job_title=(person.job_title or None), mobile=(normalise_mobile(person.mobile or "") or None),
                    password_hash=placeholder_hash, staff_roles="", is_active=False,
                    created_at=now, activated_at=None)
        tx.session.add(user)
        tx.session.flush()
    elif user.is_active is False and user.activated_at is not None:  # a closed account stays closed
        security_log.record(tx.session, "invitation", "refused", client, user_id=user.id, actor_id=invited_by,
                            member_id=member.member_id)
        return "refused"
    if tx.session.get(MemberLink, (user.id, member.member_id)) is not None:
        return "already"
    if _too_many_links(tx.session, user.id):
        security_log.record(tx.session, "invitation", "refused", client, user_id=user.id, actor_id=invited_by,
                            member_id=member.member_id)
        return "refused"
    purpose = "invitation" if user.activated_at is not None else "activation"
    token, link = _issue(tx, portal, user, purpose)
    tx.session.add(Invitation(id=str(uuid.uuid4()), link_id=link.id, user_id=user.id, member_id=member.member_id,
                              roles=",".join(sorted(roles)), kind=kind, invited_by=invited_by,
                              created_at=clock.utcnow(), accepted_at=None))
    security_log.record(tx.session, "invitation", "success", client, user_id=user.id, actor_id=invited_by,
                        member_id=member.member_id)
    path = "/connexion/activation/" if purpose == "activation" else "/connexion/invitation/"
    url = f"{portal.settings.public_url}{path}{token}"
    key = f"{purpose}:{recovery.token_hash(token)}"
    if purpose == "activation":
        tx.mail(mails.account_activation(user.email, company=member.name, link=url, key=key))
    else:
        tx.mail(mails.company_invitation(user.email, company=member.name, link=url, key=key))
    return "sent"


def request_first_account(portal: Portal, member_id: str, person: Person, *, delegate: bool, client: Client) -> None:
    """After the company's codes: the activation (or invitation) mail; nothing on screen tells which."""
    with portal.uow() as tx:
        member = tx.session.get(MemberDirectoryEntry, member_id)
        if member is None:
            return
        roles, kind = (FIRST_DELEGATE_ROLES, "delegate") if delegate else (FIRST_MEMBER_ROLES, "member")
        invite(tx, portal, member, person, roles=roles, kind=kind, client=client)
        tx.commit()


def invitation_of(portal: Portal, token: str, purpose: str) -> tuple[User, list[MemberDirectoryEntry]] | None:
    """Who the link is for and the companies it brings, or None when it is no longer valid."""
    with portal.db.session_factory() as db:
        link = recovery.valid_link(db, token, purpose)
        if link is None:
            return None
        user = db.get(User, link.user_id)
        members = db.scalars(select(MemberDirectoryEntry).join(
            Invitation, Invitation.member_id == MemberDirectoryEntry.member_id).where(
            Invitation.link_id == link.id)).all()
        db.expunge_all()
        return user, list(members)


def _pending(db: DbSession, user_id: str, link_id: str | None = None) -> list[Invitation]:
    """Invitations waiting for the user: one link's, or (at activation) every one whose link is still valid."""
    stmt = (select(Invitation).join(OneTimeLink, OneTimeLink.id == Invitation.link_id)
            .where(Invitation.user_id == user_id, Invitation.accepted_at.is_(None)))
    if link_id is not None:
        stmt = stmt.where(Invitation.link_id == link_id)
    else:
        stmt = stmt.where(OneTimeLink.expires_at > clock.utcnow())
    return list(db.scalars(stmt))


def _accept(tx: UnitOfWork, portal: Portal, user: User, invitations: list[Invitation], client: Client) -> None:
    now = clock.utcnow()
    for invitation in invitations:
        invitation.accepted_at = now
        add_link(tx, portal, user, invitation.member_id, roles=tuple(sorted(invitation.role_set)),
                 kind=invitation.kind, client=client, actor_id=invitation.invited_by or user.id)


def add_link(tx: UnitOfWork, portal: Portal, user: User, member_id: str, *, roles: tuple[str, ...], kind: str,
             client: Client, actor_id: str | None = None) -> bool:
    """A new link (an existing one is kept as it is); the company's other users hear of a new administrator."""
    if tx.session.get(MemberLink, (user.id, member_id)) is not None:
        return False
    tx.session.add(MemberLink(user_id=user.id, member_id=member_id, roles=",".join(sorted(roles)), kind=kind,
                              created_at=clock.utcnow()))
    security_log.record(tx.session, "delegation_added" if kind == "delegate" else "member_link_added", "success",
                        client, user_id=user.id, actor_id=actor_id or user.id, member_id=member_id)
    if becomes_admin(None, frozenset(roles), kind):
        tell_about_new_admin(tx, portal, member_id, user)
    return True


def activate(portal: Portal, token: str, *, new: str, confirmation: str, client: Client) -> dict[str, str] | None:
    """The new user's password: the account opens with every company waiting for it. No automatic sign-in."""
    with portal.uow() as tx:
        link = recovery.valid_link(tx.session, token, "activation", lock=True)
        if link is None:
            return {"link": "expired"}
        user = tx.session.get(User, link.user_id)
        pending = _pending(tx.session, user.id)
        problem = credentials.problem_for(tx.session, user, new,
                                          extra_member_ids=tuple(i.member_id for i in pending))
        if problem is None and new != confirmation:
            return {"confirmation": "Les deux saisies du mot de passe sont différentes."}
        if problem is not None:
            return {"new_password": problem}
        now = clock.utcnow()
        user.password_hash = hash_password(new)
        user.is_active, user.activated_at = True, now
        link.used_at = now
        lockout.clear(tx.session, user.id)
        security_log.record(tx.session, "account_activation", "success", client, user_id=user.id)
        _accept(tx, portal, user, pending, client)
        tx.commit()
    return None


def accept_invitation(portal: Portal, token: str, client: Client) -> bool:
    """An existing user confirms the company the e-mail offered; False when the link is no longer valid."""
    with portal.uow() as tx:
        link = recovery.valid_link(tx.session, token, "invitation", lock=True)
        if link is None:
            return False
        user = tx.session.get(User, link.user_id)
        link.used_at = clock.utcnow()
        _accept(tx, portal, user, _pending(tx.session, user.id, link.id), client)
        tx.commit()
    return True


def add_company(portal: Portal, user_id: str, member: MemberDirectoryEntry, *, delegate: bool,
                client: Client) -> bool:
    """"Ajouter une entreprise" by a signed-in user who typed its codes; False when already linked."""
    roles, kind = (FIRST_DELEGATE_ROLES, "delegate") if delegate else (FIRST_MEMBER_ROLES, "member")
    with portal.uow() as tx:
        user = tx.session.get(User, user_id)
        added = add_link(tx, portal, user, member.member_id, roles=roles, kind=kind, client=client)
        tx.commit()
    return added


# --- the company's users, seen and managed by its administrator --------------------------------------------

@dataclass
class Team:
    users: list[tuple[MemberLink, User]] = field(default_factory=list)
    delegates: list[tuple[MemberLink, User]] = field(default_factory=list)
    pending: list[tuple[Invitation, User, datetime]] = field(default_factory=list)


def team_of(portal: Portal, member_id: str) -> Team:
    with portal.db.session_factory() as db:
        team = Team()
        for link, user in db.execute(select(MemberLink, User).join(User, User.id == MemberLink.user_id)
                                     .where(MemberLink.member_id == member_id)
                                     .order_by(User.display_name)).all():
            (team.delegates if link.kind == "delegate" else team.users).append((link, user))
        now = clock.utcnow()
        team.pending = [(invitation, user, expires) for invitation, user, expires in db.execute(
            select(Invitation, User, OneTimeLink.expires_at)
            .join(User, User.id == Invitation.user_id).join(OneTimeLink, OneTimeLink.id == Invitation.link_id)
            .where(Invitation.member_id == member_id, Invitation.accepted_at.is_(None),
                   OneTimeLink.used_at.is_(None), OneTimeLink.expires_at > now)
            .order_by(Invitation.created_at)).all()]
        db.expunge_all()
        return team


def _locked_links(db: DbSession, member_id: str) -> list[MemberLink]:
    """Every link of the company, locked: two administrators cannot both step down at once."""
    return list(db.scalars(select(MemberLink).where(MemberLink.member_id == member_id)
                           .order_by(MemberLink.user_id).with_for_update()))


def _views(links: list[MemberLink]) -> list[LinkView]:
    return [LinkView(link.user_id, link.kind, link.role_set) for link in links]


class NotFound(Exception):
    """The user has no link with the current company (or does not exist): the page answers 404."""


def change_roles(portal: Portal, member_id: str, user_id: str, roles: frozenset[str], *, actor_id: str,
                 client: Client) -> str | None:
    """The new roles of one user of the company; a French message when refused."""
    with portal.uow() as tx:
        links = _locked_links(tx.session, member_id)
        target = next((link for link in links if link.user_id == user_id), None)
        if target is None:
            raise NotFound(user_id)
        problem = role_change_problem(_views(links), user_id, roles)
        if problem is not None:
            security_log.record(tx.session, "roles_changed", "refused", client, user_id=user_id, actor_id=actor_id,
                                member_id=member_id)
            tx.commit()
            return problem
        before = target.role_set
        target.roles = ",".join(sorted(roles))
        security_log.record(tx.session, "roles_changed", "success", client, user_id=user_id, actor_id=actor_id,
                            member_id=member_id)
        if becomes_admin(before, roles, target.kind):
            tell_about_new_admin(tx, portal, member_id, tx.session.get(User, user_id))
        tx.commit()
    return None


def remove_link(portal: Portal, member_id: str, user_id: str, *, actor_id: str, client: Client) -> str | None:
    """Remove a user from the company or revoke a firm's delegation: effective at the user's next request."""
    with portal.uow() as tx:
        links = _locked_links(tx.session, member_id)
        target = next((link for link in links if link.user_id == user_id), None)
        if target is None:
            raise NotFound(user_id)
        kind = "delegation_revoked" if target.kind == "delegate" else "user_removed"
        problem = removal_problem(_views(links), user_id)
        if problem is not None:
            security_log.record(tx.session, kind, "refused", client, user_id=user_id, actor_id=actor_id,
                                member_id=member_id)
            tx.commit()
            return problem
        tx.session.delete(target)
        security_log.record(tx.session, kind, "success", client, user_id=user_id, actor_id=actor_id,
                            member_id=member_id)
        tx.commit()
    return None


def tell_about_new_admin(tx: UnitOfWork, portal: Portal, member_id: str, new_admin: User) -> None:
    """Every other active user of the company is told by e-mail (as URSSAF does)."""
    member = tx.session.get(MemberDirectoryEntry, member_id)
    company = member.name if member is not None else "votre entreprise"
    others = tx.session.scalars(select(User).join(MemberLink, MemberLink.user_id == User.id).where(
        MemberLink.member_id == member_id, User.id != new_admin.id, User.is_active.is_(True))).all()
    stamp = clock.utcnow().isoformat()
    for other in others:
        tx.mail(mails.new_administrator(other.email, company=company, admin_name=new_admin.display_name,
                                        public_url=portal.settings.public_url,
                                        key=f"new-admin:{member_id}:{new_admin.id}:{other.id}:{stamp}"))
