"""Read side of the member directory."""

from __future__ import annotations

from portal_common.service import portal

from ..models import MemberDirectoryEntry


def get_member_entry(member_id: str) -> MemberDirectoryEntry | None:
    return portal().db.session.get(MemberDirectoryEntry, member_id)
