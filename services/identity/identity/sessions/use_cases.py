"""Opening, checking, switching and closing server-side sessions."""

from __future__ import annotations

import functools
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, func, select, update
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import aliased

from portal_common import clock
from portal_common.passport import Principal
from portal_common.service import Portal

from ..mfa.rules import PENDING_LIFETIME, Stage
from ..models import MemberDirectoryEntry, MemberLink, Session, User
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from .rules import grants_of, hash_token, needs_touch, policy


@dataclass(frozen=True)
class Opened:
    token: str
    session_id: str


def start(
    db: DbSession,
    portal: Portal,
    user_id: str,
    *,
    member_id: str | None,
    user_agent: str | None,
    replaces: str | None = None,
    stage: Stage = Stage.FULL,
    step_up: bool = False,
) -> Opened:
    """A new session in the caller's transaction; the replaced one (if any) dies with the same commit.

    A session still waiting for its second factor (stage "mfa" or "enrol") lives a few minutes and opens nothing
    but the second-factor pages; `step_up` marks a re-authentication made just now.
    """
    token = secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG
    now = clock.utcnow()
    lifetime = policy(portal.settings).absolute if stage == Stage.FULL else PENDING_LIFETIME
    if replaces:
        db.execute(
            update(Session)
            .where(Session.token_hash == hash_token(replaces), Session.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    row = Session(
        id=str(uuid.uuid4()),
        token_hash=hash_token(token),
        user_id=user_id,
        current_member_id=member_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=(user_agent or "")[:200],
        stage=stage,
        step_up_at=now if step_up else None,
    )
    db.add(row)
    return Opened(token=token, session_id=row.id)


def open_session(
    portal: Portal,
    user: User,
    *,
    member_id: str | None,
    user_agent: str | None,
    replaces: str | None = None,
    stage: Stage = Stage.FULL,
    step_up: bool = False,
) -> Opened:
    """A new session id at login and at every privilege change; the replaced one dies at once."""
    with portal.uow() as tx:
        opened = start(
            tx.session,
            portal,
            user.id,
            member_id=member_id,
            user_agent=user_agent,
            replaces=replaces,
            stage=stage,
            step_up=step_up,
        )
        tx.commit()
    return opened


def close_session(
    portal: Portal, token: str | None, *, client: Client | None = None, user_id: str | None = None
) -> None:
    """Logout: the session dies at once; with `client`, the security log says so in the same commit."""
    if not token:
        return
    with portal.uow() as tx:
        tx.session.execute(
            update(Session)
            .where(Session.token_hash == hash_token(token), Session.revoked_at.is_(None))
            .values(revoked_at=clock.utcnow())
        )
        if client is not None:
            record(tx.session, LogKind.LOGOUT, LogOutcome.SUCCESS, client, user_id=user_id)
        tx.commit()


def end_sessions(db: DbSession, user_id: str, *, session_id: str | None = None, keep: str | None = None) -> int:
    """End one session of the user (`session_id`) or all of them but `keep`; effective at the next request."""
    stmt = update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    if session_id is not None:
        stmt = stmt.where(Session.id == session_id)
    if keep is not None:
        stmt = stmt.where(Session.id != keep)
    return db.execute(stmt.values(revoked_at=clock.utcnow())).rowcount


def end_own_session(portal: Portal, user_id: str, session_id: str, client: Client) -> bool:
    """The user ends one of his sessions; False when it is another user's, or already over."""
    with portal.uow() as tx:
        if not end_sessions(tx.session, user_id, session_id=session_id):
            return False
        record(tx.session, LogKind.SESSION_END, LogOutcome.SUCCESS, client, user_id=user_id)
        tx.commit()
    return True


def end_other_sessions(portal: Portal, user_id: str, keep: str, client: Client) -> None:
    """The user ends every session but the current one."""
    with portal.uow() as tx:
        end_sessions(tx.session, user_id, keep=keep)
        record(tx.session, LogKind.SESSION_END, LogOutcome.SUCCESS, client, user_id=user_id)
        tx.commit()


def end_user_sessions(
    portal: Portal, user_id: str, *, member_id: str | None, actor_id: str, client: Client, any_user: bool = False
) -> int | None:
    """A company administrator (or staff, with `any_user`) ends every session of a user; None when the user is
    unknown or not one of the company's."""
    with portal.uow() as tx:
        user = tx.session.get(User, user_id)
        if user is None or not (any_user or tx.session.get(MemberLink, (user.id, member_id)) is not None):
            return None
        ended = end_sessions(tx.session, user.id)
        record(
            tx.session,
            LogKind.SESSIONS_ENDED_BY_ADMIN,
            LogOutcome.SUCCESS,
            client,
            user_id=user.id,
            actor_id=actor_id,
            member_id=member_id,
        )
        tx.commit()
    return ended


@functools.cache
def _principal_query() -> Select:
    """Built once: building it (an alias, joins) costs more than running it, on every request."""
    other_link = aliased(MemberLink)
    link_count = (
        select(func.count()).select_from(other_link).where(other_link.user_id == Session.user_id).scalar_subquery()
    )
    return (
        select(Session, User, MemberLink, MemberDirectoryEntry, link_count)
        .join(User, User.id == Session.user_id)
        .outerjoin(
            MemberLink, and_(MemberLink.user_id == Session.user_id, MemberLink.member_id == Session.current_member_id)
        )
        .outerjoin(MemberDirectoryEntry, MemberDirectoryEntry.member_id == Session.current_member_id)
        .where(Session.token_hash == bindparam("token_hash"))
    )


def principal_for(portal: Portal, token: str | None) -> Principal | None:
    """The identity behind a session cookie, or None when it is unknown, expired or revoked; touches the session
    (at most once a minute) so that it stays alive while used.

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
        if session.stage != Stage.FULL:
            return None  # the second factor (or a mandatory enrolment) is still due
        if not user.is_active or not policy(portal.settings).is_alive(
            now=now,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            is_staff=is_staff,
            revoked=session.revoked_at is not None,
        ):
            return None
        if session.current_member_id and link is None and not is_staff:
            member = None  # the link was revoked: the company is no longer reachable
        if needs_touch(now, session.last_seen_at):
            session.last_seen_at = now
            db.flush()
        return Principal(
            user_id=user.id,
            display_name=user.display_name,
            session_ref=session.id,
            member_id=member.member_id if member else None,
            member_name=member.name if member else None,
            member_number=member.member_number if member else None,
            roles=link.role_set if link is not None and member is not None else frozenset(),
            staff_roles=user.staff_role_set,
            grants=grants_of(link.kind if link is not None else None, session.step_up_at, now),
            member_count=int(count or 0),
        )
