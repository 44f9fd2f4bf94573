"""The security log page: a company administrator sees his company's entries, staff see all; filters, paging."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from portal_common.access import member_or_staff, require_principal
from portal_common.service import portal

from .models import MemberLink, SecurityEvent, User
from .security_log_rules import KIND_LABELS, OUTCOME_LABELS, PAGE_SIZE, day_bounds, kind_label, parse_filters

security_log_pages = Blueprint("identity_security_log", __name__, template_folder="templates")

PATH = "/compte/journal-securite"


def company_scope(member_id: str):  # type: ignore[no-untyped-def]
    """The company's entries: those about it, and the account events of its own users (not of the accounting
    firms it delegates to: their logins belong to the firm)."""
    own_users = select(MemberLink.user_id).where(MemberLink.member_id == member_id, MemberLink.kind == "member")
    return or_(SecurityEvent.member_id == member_id,
               and_(SecurityEvent.member_id.is_(None), SecurityEvent.user_id.in_(own_users)))


@security_log_pages.get(PATH)
@member_or_staff(member_roles=("admin",), staff_roles=())
def security_log():
    principal = require_principal()
    filters = parse_filters(request.args)
    conditions = []
    if not principal.is_staff:
        conditions.append(company_scope(principal.member_id))
    if filters.kind:
        conditions.append(SecurityEvent.kind == filters.kind)
    if filters.outcome:
        conditions.append(SecurityEvent.outcome == filters.outcome)
    low, high = day_bounds(filters.start, filters.end)
    if low is not None:
        conditions.append(SecurityEvent.occurred_at >= low)
    if high is not None:
        conditions.append(SecurityEvent.occurred_at < high)
    who, actor = aliased(User), aliased(User)
    db = portal().db.session
    total = db.scalar(select(func.count()).select_from(SecurityEvent).where(*conditions))
    rows = db.execute(
        select(SecurityEvent, who, actor)
        .outerjoin(who, who.id == SecurityEvent.user_id)
        .outerjoin(actor, actor.id == SecurityEvent.actor_id)
        .where(*conditions)
        .order_by(SecurityEvent.occurred_at.desc(), SecurityEvent.id)
        .offset(filters.offset).limit(PAGE_SIZE)).all()
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template(
        "identity/security_log.html", rows=rows, filters=filters, total=total, pages=pages,
        kinds=KIND_LABELS, outcomes=OUTCOME_LABELS, kind_label=kind_label, is_staff=principal.is_staff,
        previous_url=f"{PATH}?{urlencode(filters.query(filters.page - 1))}" if filters.page > 1 else None,
        next_url=f"{PATH}?{urlencode(filters.query(filters.page + 1))}" if filters.page < pages else None,
        page_title="Journal de sécurité"), 422 if filters.errors else 200
