"""Billing's parts of the home pages, included by the gateway in the frames members serves."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal_common.access import require_principal
from portal_common.clock import today
from portal_common.web.home import member_part, staff_part

from . import queries

home_pages = Blueprint("billing_home", __name__)

MEMBER_PART = member_part("billing")
STAFF_PART = staff_part("billing")


@home_pages.get(MEMBER_PART.path)
@MEMBER_PART.rule
def member_fragment():
    member_id = require_principal().member_id
    return render_template(
        "billing/home_fragment.html",
        part=MEMBER_PART,
        todos=queries.company_todos(member_id, today()),
        summary=queries.company_summary(member_id),
    )


@home_pages.get(STAFF_PART.path)
@STAFF_PART.rule
def staff_fragment():
    return render_template("billing/staff_home_fragment.html", part=STAFF_PART, queues=queries.staff_queues(today()))
