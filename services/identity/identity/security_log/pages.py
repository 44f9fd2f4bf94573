"""The security log page: a company administrator sees his company's entries, staff see all; filters, paging."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from portal_common.access import member_or_staff, require_principal
from portal_common.roles import EVERY_STAFF_ROLE, MemberRole
from portal_common.service import portal

from .queries import entries
from .rules import KIND_LABELS, OUTCOME_LABELS, kind_label, parse_filters

security_log_pages = Blueprint("identity_security_log", __name__)

PATH = "/compte/journal-securite"


@security_log_pages.get(PATH)
@member_or_staff(member_roles=(MemberRole.ADMIN,), staff_roles=EVERY_STAFF_ROLE)
def security_log():
    principal = require_principal()
    filters = parse_filters(request.args)
    found = entries(portal().db.session, filters, is_staff=principal.is_staff, member_id=principal.member_id)
    return render_template(
        "identity/security_log.html",
        rows=found.rows,
        filters=filters,
        total=found.total,
        pages=found.pages,
        kinds=KIND_LABELS,
        outcomes=OUTCOME_LABELS,
        kind_label=kind_label,
        is_staff=principal.is_staff,
        previous_url=f"{PATH}?{urlencode(filters.query(filters.page - 1))}" if filters.page > 1 else None,
        next_url=f"{PATH}?{urlencode(filters.query(filters.page + 1))}" if found.pages > filters.page else None,
        page_title="Journal de sécurité",
    ), 422 if filters.errors else 200
