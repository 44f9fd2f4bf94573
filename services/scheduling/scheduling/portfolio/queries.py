"""Scheduling's columns of the firm's portfolio: visits overdue and the next obligation due for each client, in
one grouped query (dates and counts, never a medical detail)."""

from __future__ import annotations

from sqlalchemy import case, func, select

from portal_common.clock import today
from portal_common.service import portal

from ..models import VisitObligation


def portfolio_columns(member_ids: list[str]) -> dict[str, dict[str, object]]:
    if not member_ids:
        return {}
    day = today()
    overdue = func.sum(case((VisitObligation.due_on < day, 1), else_=0))
    rows = (
        portal()
        .db.session.execute(
            select(VisitObligation.member_id, overdue, func.min(VisitObligation.due_on))
            .where(VisitObligation.member_id.in_(member_ids))
            .group_by(VisitObligation.member_id)
        )
        .all()
    )
    found = {member_id: (int(late or 0), first) for member_id, late, first in rows}
    columns: dict[str, dict[str, object]] = {}
    for member_id in member_ids:
        late, first = found.get(member_id, (0, None))
        columns[member_id] = {
            "overdue_visits": late,
            "first_due_on": first.isoformat() if first else None,
            "visits_page": "/rendez-vous#obligations",
        }
    return columns
