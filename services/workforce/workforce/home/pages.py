"""Workforce's parts of the home pages and the layout's campaign entry and banner, included by the gateway."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal_common.access import PUBLIC, require_principal
from portal_common.clock import today
from portal_common.web.home import member_part, staff_part

from . import queries

home_pages = Blueprint("workforce_home", __name__)

MEMBER_PART = member_part("workforce")
STAFF_PART = staff_part("workforce")


@home_pages.get(MEMBER_PART.path)
@MEMBER_PART.rule
def member_fragment():
    member_id = require_principal().member_id
    day = today()
    return render_template(
        "workforce/home_fragment.html",
        part=MEMBER_PART,
        todos=queries.declaration_todos(member_id, day),
        summary=queries.headcount(member_id, day),
    )


@home_pages.get(STAFF_PART.path)
@STAFF_PART.rule
def staff_fragment():
    return render_template("workforce/staff_home_fragment.html", part=STAFF_PART, queues=queries.staff_queues(today()))


# The campaign entry and banner are the same for everyone (a year and dates, nothing about a company): public, so
# the gateway caches one copy and includes it in every page's layout without asking workforce each time.
@home_pages.get("/fragments/campagne/menu")
@PUBLIC
def campaign_menu():
    return render_template("workforce/campaign_menu.html", campaign=queries.entry_open_campaign(today()))


@home_pages.get("/fragments/campagne/bandeau")
@PUBLIC
def campaign_banner():
    return render_template("workforce/campaign_banner.html", campaign=queries.entry_open_campaign(today()))
