"""Opening, checking, switching and closing server-side sessions."""
from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, bindparam, func, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm import Session as DbSession

from portal_common import clock
from portal_common.passport import STEP_UP_GRANT, Principal
from portal_common.service import Portal

from . import mfa, security_log
from .domain import SessionPolicy, needs_touch
from .models import MemberDirectoryEntry, MemberLink, Session, User


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def policy(portal: Portal) -> SessionPolicy:
    s = portal.settings
    return SessionPolicy(idle=timedelta(minutes=s.idle_minutes), staff_idle=timedelta(minutes=s.staff_idle_minutes),
                         absolute=timedelta(hours=s.absolute_hours))


@dataclass(frozen=True)
class Opened:
    token: str
    session_id: str


def start(db: DbSession, portal: Portal, user_id: str, *, member_id: str | None, user_agent: str | None,
          replaces: str | None = None, stage: str = mfa.FULL, step_up: bool = False) -> Opened:
    """A new session in the caller's transaction; the replaced one (if any) dies with the same commit.

    A session still waiting for its second factor (`stage` "mfa" or "enrol") lives a few minutes and opens nothing
    but the second-factor pages; `step_up` marks a re-authentication made just now.
    """
    token = secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG
    now = clock.utcnow()
    lifetime = policy(portal).absolute if stage == mfa.FULL else mfa.PENDING_LIFETIME
    if replaces:
        db.execute(update(Session).where(Session.token_hash == hash_token(replaces),
                                         Session.revoked_at.is_(None)).values(revoked_at=now))
    row = Session(id=str(uuid.uuid4()), token_hash=hash_token(token), user_id=user_id,
                  current_member_id=member_id, created_at=now, last_seen_at=now,
                  expires_at=now + lifetime, user_agent=(user_agent or "")[:200], stage=stage,
                  step_up_at=now if step_up else None)
    db.add(row)
    return Opened(token=token, session_id=row.id)


def open_session(portal: Portal, user: User, *, member_id: str | None, user_agent: str | None,
                 replaces: str | None = None, stage: str = mfa.FULL, step_up: bool = False) -> Opened:
    """A new session id at login and at every privilege change; the replaced one dies at once."""
    with portal.uow() as tx:
        opened = start(tx.session, portal, user.id, member_id=member_id, user_agent=user_agent, replaces=replaces,
                       stage=stage, step_up=step_up)
        tx.commit()
    return opened


def close_session(portal: Portal, token: str | None, *, client: security_log.Client | None = None,
                  user_id: str | None = None) -> None:
    """Logout: the session dies at once; with `client`, the security log says so in the same commit."""
    if not token:
        return
    with portal.uow() as tx:
        tx.session.execute(update(Session).where(Session.token_hash == hash_token(token),
                                                 Session.revoked_at.is_(None)).values(revoked_at=clock.utcnow()))
        if client is not None:
            security_log.record(tx.session, "logout", "success", client, user_id=user_id)
        tx.commit()


def end_sessions(db: DbSession, user_id: str, *, session_id: str | None = None, keep: str | None = None) -> int:
    """End one session of the user (`session_id`) or all of them but `keep`; effective at the next request."""
    stmt = update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    if session_id is not None:
        stmt = stmt.where(Session.id == session_id)
    if keep is not None:
        stmt = stmt.where(Session.id != keep)
    return db.execute(stmt.values(revoked_at=clock.utcnow())).rowcount


def live_sessions(portal: Portal, user_id: str) -> list[Session]:
    """The user's sessions still usable now, newest first."""
    now = clock.utcnow()
    with portal.db.session_factory() as db:
        user = db.get(User, user_id)
        rows = db.scalars(select(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None),
                                                Session.expires_at > now, Session.stage == mfa.FULL)
                          .order_by(Session.last_seen_at.desc())).all()
    if user is None:
        return []
    rule = policy(portal)
    return [row for row in rows if rule.is_alive(now=now, last_seen_at=row.last_seen_at, expires_at=row.expires_at,
                                                 is_staff=bool(user.staff_role_set), revoked=False)]


def linked_members(db: DbSession, user: User) -> list[tuple[MemberLink, MemberDirectoryEntry | None]]:
    rows = db.execute(
        select(MemberLink, MemberDirectoryEntry)
        .outerjoin(MemberDirectoryEntry, MemberDirectoryEntry.member_id == MemberLink.member_id)
        .where(MemberLink.user_id == user.id)
        .order_by(MemberDirectoryEntry.name)
    ).all()
    return [(link, entry) for link, entry in rows]


@functools.cache
def _principal_query() -> Select:
    """Built once: building it (an alias, joins) costs more than running it, on every request."""
    other_link = aliased(MemberLink)
    link_count = (select(func.count()).select_from(other_link)
                  .where(other_link.user_id == Session.user_id).scalar_subquery())
    return (select(Session, User, MemberLink, MemberDirectoryEntry, link_count)
            .join(User, User.id == Session.user_id)
            .outerjoin(MemberLink, and_(MemberLink.user_id == Session.user_id,
                                        MemberLink.member_id == Session.current_member_id))
            .outerjoin(MemberDirectoryEntry, MemberDirectoryEntry.member_id == Session.current_member_id)
            .where(Session.token_hash == bindparam("token_hash")))


def principal_for(portal: Portal, token: str | None) -> Principal | None:
    """The identity behind a session cookie, or None when it is unknown, expired or revoked.

    Runs on every request through nginx's auth_request, so it reads everything in one query.
    """
    if not token:
        return None
    now = clock.utcnow()
    # Autocommit: one round trip for the read (no BEGIN/ROLLBACK), and the touch below commits by itself.
    with portal.db.autocommit_session() as db:
        found = db.execute(_principal_query(), {"token_hash": hash_token(token)}).first()
        if found is None:
            return None
        session, user, link, member, count = found
        is_staff = bool(user.staff_role_set)
        if session.stage != mfa.FULL:
            return None  # the second factor (or a mandatory enrolment) is still due
        if not user.is_active or not policy(portal).is_alive(
                now=now, last_seen_at=session.last_seen_at, expires_at=session.expires_at,
                is_staff=is_staff, revoked=session.revoked_at is not None):
            return None
        if session.current_member_id and link is None and not is_staff:
            member = None  # the link was revoked: the company is no longer reachable
        if needs_touch(now, session.last_seen_at):
            session.last_seen_at = now
            db.flush()
        return Principal(
            user_id=user.id, display_name=user.display_name, session_ref=session.id,
            member_id=member.member_id if member else None, member_name=member.name if member else None,
            member_number=member.member_number if member else None,
            roles=link.role_set if link is not None and member is not None else frozenset(),
            staff_roles=user.staff_role_set,
            grants=grants_of(session, link, now),
            member_count=int(count or 0))


def grants_of(session: Session, link: MemberLink | None, now: datetime) -> frozenset[str]:
    """`delegate` for an accounting firm's link; `step_up` while a re-authentication is fresh (5 minutes)."""
    grants = set()
    if link is not None and link.kind == "delegate":
        grants.add("delegate")
    if mfa.step_up_fresh(session.step_up_at, now):
        grants.add(STEP_UP_GRANT)
    return frozenset(grants)


def pending(portal: Portal, token: str | None) -> tuple[Session, User] | None:
    """The login of this browser still waiting for its second factor (or its enrolment), if any."""
    if not token:
        return None
    now = clock.utcnow()
    with portal.db.session_factory() as db:
        found = db.execute(select(Session, User).join(User, User.id == Session.user_id)
                           .where(Session.token_hash == hash_token(token))).first()
        if found is None:
            return None
        session, user = found
        if session.stage == mfa.FULL or session.revoked_at is not None or now >= session.expires_at \
                or not user.is_active:
            return None
        db.expunge_all()
        return session, user
