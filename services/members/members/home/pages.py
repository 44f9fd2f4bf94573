"""The home pages' frames and members' own parts of them, the contact page and the help page.

`/` sends a company's users to « Accueil » and staff to theirs. A frame is drawn from the passport alone and
leaves an SSI include for each service's part (portal_common.web.home), members' own included: the gateway asks
for all the parts at once, so no part waits for members' queries.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template

from portal_common.access import AUTHENTICATED, PUBLIC, current_principal, member, require_principal, staff
from portal_common.roles import EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE
from portal_common.service import portal
from portal_common.web.home import (
    MEMBER_HOME,
    MEMBER_HOME_PARTS,
    STAFF_HOME,
    STAFF_HOME_PARTS,
    member_part,
    staff_part,
)

from ..health_team import queries as team_queries
from ..web import current_member
from . import queries

pages = Blueprint("members_home", __name__)

MEMBER_PART = member_part("members")
STAFF_PART = staff_part("members")


@pages.get("/")
@AUTHENTICATED
def front_door():
    """Where a login lands: the company's « Accueil », staff's, or the company chooser."""
    principal = require_principal()
    if principal.member_id:
        return redirect(MEMBER_HOME)
    if principal.is_staff:
        return redirect(STAFF_HOME)
    # An accounting firm (several client companies, none chosen yet) lands on its portfolio.
    return redirect("/portefeuille" if principal.member_count > 1 else "/changer-adherent")


@pages.get(MEMBER_HOME)
@member(*EVERY_MEMBER_ROLE)
def member_home():
    principal = require_principal()
    return render_template(
        "members/home.html",
        parts=[part for part in MEMBER_HOME_PARTS if part.offered_to(principal)],
        page_title="Accueil",
    )


@pages.get(MEMBER_PART.path)
@MEMBER_PART.rule
def member_fragment():
    record = current_member()
    return render_template(
        "members/home_fragment.html", part=MEMBER_PART, member=record, todos=queries.company_todos(record.id)
    )


@pages.get(STAFF_HOME)
@staff(*EVERY_STAFF_ROLE)
def staff_home():
    principal = require_principal()
    return render_template(
        "members/staff_home.html",
        parts=[part for part in STAFF_HOME_PARTS if part.offered_to(principal)],
        page_title="Accueil du service",
    )


@pages.get(STAFF_PART.path)
@STAFF_PART.rule
def staff_fragment():
    return render_template("members/staff_home_fragment.html", part=STAFF_PART, queues=queries.staff_queues())


@pages.get("/contact")
@AUTHENTICATED
def contact():
    """The company's health team and centre, and the service's mailboxes (from the settings)."""
    principal = require_principal()
    team = team_queries.health_team(principal.member_id) if principal.member_id else None
    mailboxes = [{"label": label, "email": email} for label, email in portal().settings.service_mailboxes]
    return render_template("members/contact.html", team=team, mailboxes=mailboxes, page_title="Contact")


@pages.get("/aide")
@PUBLIC
def help_page():
    """Answers before and after login (lost codes, first login): public, so nobody needs an account to read it."""
    return render_template("members/help.html", signed_in=current_principal() is not None, page_title="Aide")
