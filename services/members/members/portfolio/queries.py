"""Members' columns of the firm's portfolio: each client's change requests waiting for the service, in one
grouped query."""

from __future__ import annotations

from sqlalchemy import func, select

from portal_common.service import portal

from ..models import ChangeRequest
from ..record.rules import ChangeStatus


def portfolio_columns(member_ids: list[str]) -> dict[str, dict[str, object]]:
    if not member_ids:
        return {}
    counts = dict(
        portal()
        .db.session.execute(
            select(ChangeRequest.member_id, func.count())
            .where(ChangeRequest.member_id.in_(member_ids), ChangeRequest.status == ChangeStatus.PENDING)
            .group_by(ChangeRequest.member_id)
        )
        .all()
    )
    return {
        member_id: {"pending_requests": int(counts.get(member_id, 0)), "record_page": "/adherent#en-attente"}
        for member_id in member_ids
    }
