"""The member's page listing its establishments and the companies it manages, a switch button each."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal_common.access import member, require_principal
from portal_common.roles import EVERY_MEMBER_ROLE
from portal_common.service import portal

from ..models import Member
from ..record import queries as record_queries
from ..web import current_member
from . import clients, queries
from .rules import RELATION_LABELS, Row, establishment_rows

pages = Blueprint("members_establishment_pages", __name__)


def establishments_of(record: Member) -> tuple[list[Row], bool]:
    """(rows, whether identity answered) for the current user, from the current company."""
    principal = require_principal()
    links = clients.member_links(portal(), principal.user_id)
    linked = queries.members_by_id([link["member_id"] for link in links or []])
    return establishment_rows(record, queries.same_siren(record), linked, links), links is not None


@pages.get("/adherent/etablissements")
@member(*EVERY_MEMBER_ROLE)
def establishments():
    """Head office: its establishments; accounting firm: its clients — one list, a switch button each."""
    record = current_member()
    rows, complete = establishments_of(record)
    return render_template(
        "members/establishments.html",
        member=record,
        rows=rows,
        complete=complete,
        relations=RELATION_LABELS,
        statuses=record_queries.labels()["member_statuses"],
        page_title="Mes établissements et entreprises",
    )
