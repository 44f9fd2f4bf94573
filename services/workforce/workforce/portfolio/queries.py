"""Workforce's columns of the firm's portfolio: each client's declaration of the newest campaign, its status and
deadline, in two queries whatever the number of clients."""

from __future__ import annotations

from sqlalchemy import select

from portal_common.clock import today
from portal_common.service import portal

from ..declarations.queries import as_campaign, company_ceased
from ..declarations.rules import DECLARED, NOT_ENTERABLE, STATUS_LABELS, shown_status
from ..home.queries import DECLARATION_PAGE
from ..models import DeclarationCampaign, HeadcountDeclaration, MemberDirectoryEntry


def portfolio_columns(member_ids: list[str]) -> dict[str, dict[str, object]]:
    """For each client: the newest campaign's year, status code and label, deadline, whether it is declared and
    where to declare; nothing at all before the first campaign."""
    session = portal().db.session
    campaign = session.scalars(select(DeclarationCampaign).order_by(DeclarationCampaign.year.desc()).limit(1)).first()
    if campaign is None or not member_ids:
        return {}
    day = today()
    rows = {
        row.member_id: row
        for row in session.scalars(
            select(HeadcountDeclaration).where(
                HeadcountDeclaration.campaign_id == campaign.id, HeadcountDeclaration.member_id.in_(member_ids)
            )
        )
    }
    entries = {
        entry.member_id: entry
        for entry in session.scalars(select(MemberDirectoryEntry).where(MemberDirectoryEntry.member_id.in_(member_ids)))
    }
    shown = as_campaign(campaign)
    columns: dict[str, dict[str, object]] = {}
    for member_id in member_ids:
        row = rows.get(member_id)
        status = shown_status(
            shown,
            row.status if row else None,
            today=day,
            ceased=company_ceased(entries.get(member_id), campaign.year, day),
        )
        columns[member_id] = {
            "campaign_year": campaign.year,
            "declaration_status": str(status),
            "declaration_label": STATUS_LABELS[status],
            "deadline": campaign.deadline.isoformat(),
            "to_declare": status not in DECLARED and status != NOT_ENTERABLE,
            "declaration_page": DECLARATION_PAGE.format(year=campaign.year),
        }
    return columns
