"""Scheduling's parts of the home pages, included by the gateway in the frames members serves."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal_common.access import require_principal
from portal_common.clock import today, utcnow
from portal_common.web.home import member_part, staff_part

from . import queries

pages = Blueprint("scheduling_home", __name__)

MEMBER_PART = member_part("scheduling")
STAFF_PART = staff_part("scheduling")


@pages.get(MEMBER_PART.path)
@MEMBER_PART.rule
def member_fragment():
    member_id = require_principal().member_id
    day = today()
    counts = queries.company_counts(member_id, day, utcnow())
    return render_template(
        "scheduling/home_fragment.html",
        part=MEMBER_PART,
        todos=queries.company_todos(counts),
        summary=queries.company_summary(counts, day),
    )


@pages.get(STAFF_PART.path)
@STAFF_PART.rule
def staff_fragment():
    return render_template("scheduling/staff_home_fragment.html", part=STAFF_PART, queues=queries.staff_queues(today()))
