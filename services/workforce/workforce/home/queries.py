"""What workforce shows on the home pages, read from its own tables."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal_common.formats import date_fr
from portal_common.service import portal

from ..declarations.queries import member_declarations, progress
from ..declarations.rules import DECLARED, CampaignStatus, ShownStatus
from ..employees.queries import present_by_category
from ..employees.rules import CATEGORIES
from ..models import DeclarationCampaign

DECLARATION_PAGE = "/salaries/declarations/{year}"
CAMPAIGN_PAGE = "/gestion/salaries/campagnes/{year}"


def entry_open_campaign(day: date) -> DeclarationCampaign | None:
    """The campaign whose entry window holds `day` (one a year; the newest if windows ever overlap)."""
    return (
        portal()
        .db.session.scalars(
            select(DeclarationCampaign)
            .where(
                DeclarationCampaign.status == CampaignStatus.OPEN,
                DeclarationCampaign.opens_on <= day,
                DeclarationCampaign.closes_on >= day,
            )
            .order_by(DeclarationCampaign.year.desc())
            .limit(1)
        )
        .first()
    )


def declaration_todos(member_id: str, day: date) -> list[dict[str, str]]:
    """Each declaration the company still has to enter or confirm, with its deadline."""
    todos = []
    for declaration in member_declarations(member_id, day):
        if declaration["status"] not in (ShownStatus.TO_ENTER, ShownStatus.IN_PROGRESS):
            continue
        late = declaration["deadline"] < day
        todos.append(
            {
                "label": f"Déclarer vos effectifs {declaration['year']}",
                "href": DECLARATION_PAGE.format(year=declaration["year"]),
                "detail": ("date limite dépassée : le " if late else "à confirmer au plus tard le ")
                + date_fr(declaration["deadline"]),
                "tone": "danger" if late else "warning",
                "badge": declaration["status_label"],
            }
        )
    return todos


def headcount(member_id: str, day: date) -> list[tuple[str, str]]:
    """Present employees by monitoring category today, then the total (counted in the database, in one query)."""
    by_category, total = present_by_category(member_id, day)
    return [(f"Salariés suivis en {category}", str(by_category[category])) for category in CATEGORIES] + [
        ("Salariés présents", str(total))
    ]


def staff_queues(day: date) -> list[dict[str, object]]:
    """For each campaign still open: how many companies declared, are entering, have not started."""
    queues: list[dict[str, object]] = []
    campaigns = portal().db.session.scalars(
        select(DeclarationCampaign)
        .where(DeclarationCampaign.status == CampaignStatus.OPEN)
        .order_by(DeclarationCampaign.year.desc())
    )
    for campaign in campaigns:
        counts, _ = progress(campaign, day)
        href = CAMPAIGN_PAGE.format(year=campaign.year)
        declared = sum(counts[status] for status in DECLARED)
        deadline = f"date limite le {date_fr(campaign.deadline)}"
        queues += [
            {"count": declared, "label": f"Déclarations {campaign.year} reçues", "href": href, "detail": deadline},
            {"count": counts[ShownStatus.IN_PROGRESS], "label": f"Déclarations {campaign.year} en cours", "href": href},
            {"count": counts[ShownStatus.TO_ENTER], "label": f"Déclarations {campaign.year} à saisir", "href": href},
        ]
    return queues
