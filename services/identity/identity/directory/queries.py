"""Reading the member directory and the users' links to member companies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.service import Portal

from ..models import MemberDirectoryEntry, MemberLink


def search(db: Session, query: str, limit: int = 200) -> list[MemberDirectoryEntry]:
    """Companies by name or member number, for staff choosing the company to act for."""
    stmt = select(MemberDirectoryEntry).order_by(MemberDirectoryEntry.name).limit(limit)
    if query:
        stmt = stmt.where(
            MemberDirectoryEntry.name.ilike(f"%{query}%") | MemberDirectoryEntry.member_number.like(f"%{query}%")
        )
    return list(db.scalars(stmt))


def member_links(db: Session, user_id: str) -> list[dict[str, Any]]:
    """The companies a user is linked to, with the kind of link and its roles."""
    links = db.scalars(
        select(MemberLink).where(MemberLink.user_id == user_id).order_by(MemberLink.created_at, MemberLink.member_id)
    ).all()
    return [{"member_id": link.member_id, "kind": link.kind, "roles": sorted(link.role_set)} for link in links]


def entry_of(portal: Portal, member_id: str) -> MemberDirectoryEntry | None:
    """One company of the directory, detached from its session."""
    with portal.db.session_factory() as db:
        entry = db.get(MemberDirectoryEntry, member_id)
        if entry is not None:
            db.expunge(entry)
        return entry
