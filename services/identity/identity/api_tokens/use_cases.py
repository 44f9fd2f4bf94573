"""API tokens of payroll software: created by a company administrator, checked by the gateway's session check."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from portal_common import clock
from portal_common.passport import Principal
from portal_common.service import Portal

from ..models import ApiToken, MemberDirectoryEntry, User
from ..security_log.rules import Client, LogKind, LogOutcome
from ..security_log.use_cases import record
from ..sessions.rules import needs_touch
from . import mails
from . import rules as token_rules
from .rules import TOKEN_GRANT


@dataclass(frozen=True)
class Created:
    token: str  # shown once, never stored
    row: ApiToken


def create(portal: Portal, *, member_id: str, name: str, scopes: list[str], creator_id: str, client: Client) -> Created:
    """The caller has checked the administrator's role and the form (token_rules.name_problem / scope_problem)."""
    now = clock.utcnow()
    token, hint = token_rules.new_token()
    with portal.uow() as tx:
        row = ApiToken(
            id=str(uuid.uuid4()),
            member_id=member_id,
            name=name.strip(),
            scopes=",".join(sorted(scopes)),
            token_hash=token_rules.token_hash(token),
            hint=hint,
            created_by=creator_id,
            created_at=now,
            expires_at=now + token_rules.LIFETIME,
        )
        tx.session.add(row)
        record(
            tx.session,
            LogKind.TOKEN_CREATED,
            LogOutcome.SUCCESS,
            client,
            user_id=creator_id,
            member_id=member_id,
            detail=f"Jeton « {row.name} »",
        )
        creator = tx.session.get(User, creator_id)
        company = tx.session.get(MemberDirectoryEntry, member_id)
        if creator is not None:
            tx.mail(
                mails.api_token_created(
                    creator.email, name=row.name, company=company.name if company else "", key=f"token:{row.id}"
                )
            )
        tx.commit()
        tx.session.expunge(row)
    return Created(token=token, row=row)


def revoke(portal: Portal, *, member_id: str, token_id: str, actor_id: str, client: Client) -> bool:
    """False when the token is not this company's (or unknown): the caller answers 404."""
    with portal.uow() as tx:
        row = tx.session.get(ApiToken, token_id, with_for_update=True)
        if row is None or row.member_id != member_id:
            return False
        if row.revoked_at is None:
            row.revoked_at, row.revoked_by = clock.utcnow(), actor_id
            record(
                tx.session,
                LogKind.TOKEN_REVOKED,
                LogOutcome.SUCCESS,
                client,
                user_id=actor_id,
                member_id=member_id,
                detail=f"Jeton « {row.name} »",
            )
        tx.commit()
        return True


class Outcome(enum.Enum):
    OK = 204
    UNKNOWN = 401  # no such token, revoked, expired, or a page (tokens open /api/ paths only)
    OUT_OF_SCOPE = 403


@dataclass(frozen=True)
class Checked:
    outcome: Outcome
    principal: Principal | None = None


def check(portal: Portal, token: str, *, method: str, original_uri: str | None, client: Client) -> Checked:
    """The gateway's check of a bearer request: the passport of a principal confined to the token's company
    and scopes, and the token's last use (written at most once a minute, with a security-log line)."""
    now = clock.utcnow()
    path = token_rules.clean_path(original_uri) or ""
    with portal.uow() as tx:
        found = tx.session.execute(
            select(ApiToken, MemberDirectoryEntry)
            .outerjoin(MemberDirectoryEntry, MemberDirectoryEntry.member_id == ApiToken.member_id)
            .where(ApiToken.token_hash == token_rules.token_hash(token))
        ).first()
        if found is None:
            record(tx.session, LogKind.TOKEN_USE, LogOutcome.FAILURE, client, detail="Jeton inconnu")
            tx.commit()
            return Checked(Outcome.UNKNOWN)
        row, member = found
        label = f"Jeton « {row.name} »"
        if row.revoked_at is not None or now >= row.expires_at or member is None or not path.startswith("/api/"):
            record(tx.session, LogKind.TOKEN_USE, LogOutcome.FAILURE, client, member_id=row.member_id, detail=label)
            tx.commit()
            return Checked(Outcome.UNKNOWN)
        if not token_rules.allows(row.scope_set, method, original_uri):
            record(
                tx.session,
                LogKind.TOKEN_USE,
                LogOutcome.REFUSED,
                client,
                member_id=row.member_id,
                detail=f"{label} : {method} {path}"[:200],
            )
            tx.commit()
            return Checked(Outcome.OUT_OF_SCOPE)
        if row.last_used_at is None or needs_touch(now, row.last_used_at):
            row.last_used_at, row.last_used_ip = now, (client.ip or "")[:45] or None
            record(tx.session, LogKind.TOKEN_USE, LogOutcome.SUCCESS, client, member_id=row.member_id, detail=label)
            tx.commit()
        return Checked(
            Outcome.OK,
            Principal(
                user_id=f"token:{row.id}",
                display_name=f"Jeton API « {row.name} »",
                session_ref=f"token:{row.id}",
                member_id=member.member_id,
                member_name=member.name,
                member_number=member.member_number,
                roles=token_rules.roles_for(row.scope_set),
                grants=frozenset({TOKEN_GRANT}),
                member_count=1,
            ),
        )
