"""Use cases of the annual headcount declaration: open and close a campaign, save and confirm a declaration.

Each change and the events and e-mails it causes are written in one unit of work.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal_common import clock
from portal_common.clock import today
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ..employees.rules import CATEGORIES
from ..models import DeclarationCampaign, HeadcountDeclaration, MemberDeclarationContact, MemberDirectoryEntry
from .mails import opening_mail
from .queries import as_campaign, company_ceased, expected_counts, stored_counts, undeclared_companies
from .rules import (
    CampaignCommand,
    CampaignRejected,
    CampaignStatus,
    CheckedDeclaration,
    Counts,
    DeclarationEntry,
    DeclarationRefused,
    DeclarationStatus,
    StaleDeclaration,
    check_campaign,
    check_declaration,
    is_late,
    refusal,
)


def confirmed_event(row: HeadcountDeclaration, *, late: bool) -> dict:
    """Exactly what billing prices for the annual invoice, plus the total, the time, and whether it is late
    (confirmed after the closing: billing cancels the facture d'office before issuing the real invoice)."""
    counts = stored_counts(row)
    return {
        "declaration_id": row.id,
        "member_id": row.member_id,
        "year": row.year,
        **counts.as_dict(),
        "total": counts.total,
        "confirmed_at": row.confirmed_at.isoformat().replace("+00:00", "Z"),
        "version": row.version,
        "late": late,
    }


def open_campaign(portal: Portal, command: CampaignCommand, *, actor: str) -> tuple[DeclarationCampaign, int]:
    """Opens the campaign of a year; publishes workforce.campaign.opened.v1 and e-mails every declaration contact of
    each company (each address once; identity mails the administrators who are not among them).

    Answers the campaign and how many e-mails were queued.
    """
    day = today()
    with portal.uow() as tx:
        years = tx.session.scalars(select(DeclarationCampaign.year)).all()
        checked = check_campaign(command, today=day, existing_years=years)
        campaign = DeclarationCampaign(
            id=str(uuid.uuid4()),
            year=checked.year,
            opens_on=checked.opens_on,
            closes_on=checked.closes_on,
            deadline=checked.deadline,
            status=checked.status,
            opened_by=actor[:200],
            opened_at=clock.utcnow(),
        )
        tx.session.add(campaign)
        try:
            tx.session.flush()
        except IntegrityError:  # the same year opened at the same moment by someone else
            raise CampaignRejected(
                {"year": f"La campagne {checked.year} est déjà ouverte : une seule campagne par année."}
            ) from None
        tx.record(
            EventType.WORKFORCE_CAMPAIGN_OPENED,
            subject=campaign.id,
            member_id=None,
            data={
                "campaign_id": campaign.id,
                "year": campaign.year,
                "opens_on": campaign.opens_on.isoformat(),
                "closes_on": campaign.closes_on.isoformat(),
                "deadline": campaign.deadline.isoformat(),
            },
        )
        mailed = 0
        recipients = tx.session.execute(
            select(MemberDirectoryEntry, MemberDeclarationContact.email)
            .join(MemberDeclarationContact, MemberDeclarationContact.member_id == MemberDirectoryEntry.member_id)
            .order_by(MemberDirectoryEntry.member_number, MemberDeclarationContact.email)
        ).all()
        for entry, email in recipients:
            if not company_ceased(entry, campaign.year, day):
                mailed += bool(tx.mail(opening_mail(portal.settings.public_url, campaign, entry, email)))
        tx.commit()
        return campaign, mailed


def close_campaign(portal: Portal, year: int, *, actor: str) -> tuple[DeclarationCampaign, int]:
    """Closes the campaign; workforce.campaign.closed.v1 tells billing who did not declare (estimated invoice).

    Answers the campaign and how many companies the closing listed as undeclared.
    """
    day = today()
    with portal.uow() as tx:
        campaign = tx.session.scalars(
            select(DeclarationCampaign).where(DeclarationCampaign.year == year).with_for_update()
        ).first()
        if campaign is None:
            raise LookupError(year)
        if campaign.status == CampaignStatus.CLOSED:
            raise DeclarationRefused(f"La campagne {year} est déjà clôturée.")
        campaign.status, campaign.closed_by, campaign.closed_at = CampaignStatus.CLOSED, actor[:200], clock.utcnow()
        undeclared = undeclared_companies(tx.session, campaign, day, portal.settings.category_policy)
        tx.record(
            EventType.WORKFORCE_CAMPAIGN_CLOSED,
            subject=campaign.id,
            member_id=None,
            data={
                "campaign_id": campaign.id,
                "year": campaign.year,
                "closed_at": campaign.closed_at.isoformat().replace("+00:00", "Z"),
                "undeclared": undeclared,
            },
        )
        tx.commit()
        return campaign, len(undeclared)


def close_due_campaigns(portal: Portal, *, actor: str = "system") -> list[int]:
    """The periodic check: closes every open campaign whose deadline has passed; answers their years."""
    day = today()
    with portal.db.session_factory() as session:
        due = list(
            session.scalars(
                select(DeclarationCampaign.year).where(
                    DeclarationCampaign.status != CampaignStatus.CLOSED, DeclarationCampaign.deadline < day
                )
            )
        )
    closed = []
    for year in due:
        try:
            close_campaign(portal, year, actor=actor)
        except DeclarationRefused:  # closed by staff in the meantime
            continue
        closed.append(year)
    return closed


def _write(row: HeadcountDeclaration, checked: CheckedDeclaration, expected: Counts, actor: str) -> None:
    for category in CATEGORIES:
        key = category.lower()
        setattr(row, key, checked.counts.headcount[category])
        setattr(row, f"multi_{key}", checked.counts.multi_employer[category])
        setattr(row, f"expected_{key}", expected.headcount[category])
        setattr(row, f"expected_multi_{key}", expected.multi_employer[category])
        setattr(row, f"justification_{key}", checked.justifications[category])
    row.updated_by, row.updated_at = actor[:200], clock.utcnow()


def _entered(
    portal: Portal,
    member_id: str,
    year: int,
    entry: DeclarationEntry,
    *,
    expected_version: int | None,
    actor: str,
    confirming: bool,
) -> HeadcountDeclaration:
    day = today()
    policy = portal.settings.category_policy
    with portal.uow() as tx:
        session = tx.session
        campaign = session.scalars(select(DeclarationCampaign).where(DeclarationCampaign.year == year)).first()
        row = None
        if campaign is not None:
            row = session.scalars(
                select(HeadcountDeclaration)
                .where(HeadcountDeclaration.campaign_id == campaign.id, HeadcountDeclaration.member_id == member_id)
                .with_for_update()
            ).first()
        # Someone else's save wins over a stale page or ETag: checked under the row lock, before the state, so
        # two confirmations sent with one If-Match answer 200 then 412 (the If-Match check and the write are one
        # step: the lock, or BEGIN IMMEDIATE on SQLite).
        if expected_version is not None and expected_version != (row.version if row is not None else 0):
            raise StaleDeclaration()
        reason = refusal(
            as_campaign(campaign) if campaign else None,
            row.status if row else None,
            today=day,
            ceased=company_ceased(session.get(MemberDirectoryEntry, member_id), year, day),
        )
        if reason is not None:
            raise DeclarationRefused(reason)
        expected = expected_counts(session, member_id, year, policy)
        checked = check_declaration(entry, expected, confirming=confirming)
        if row is None:
            row = HeadcountDeclaration(
                id=str(uuid.uuid4()),
                campaign_id=campaign.id,
                member_id=member_id,
                year=year,
                status=DeclarationStatus.DRAFT,
            )
            session.add(row)
        _write(row, checked, expected, actor)
        if confirming:
            row.status, row.confirmed_by, row.confirmed_at = DeclarationStatus.CONFIRMED, actor[:200], clock.utcnow()
        try:
            session.flush()  # SQLAlchemy's version counter: 1 for a first save, one more for each later one
        except IntegrityError:  # a first save of the same declaration committed meanwhile
            raise StaleDeclaration() from None
        except StaleDataError:  # the row changed under us (the lock above makes this a safety net)
            raise StaleDeclaration() from None
        if confirming:
            tx.record(
                EventType.WORKFORCE_DECLARATION_CONFIRMED,
                subject=row.id,
                member_id=member_id,
                data=confirmed_event(row, late=is_late(as_campaign(campaign), None)),
            )
        tx.commit()
        return row


def save_declaration(
    portal: Portal, member_id: str, year: int, entry: DeclarationEntry, *, expected_version: int | None, actor: str
) -> HeadcountDeclaration:
    """Saves the draft ("En cours"); `expected_version` is the version the caller read (0: none yet)."""
    return _entered(portal, member_id, year, entry, expected_version=expected_version, actor=actor, confirming=False)


def confirm_declaration(
    portal: Portal, member_id: str, year: int, entry: DeclarationEntry, *, expected_version: int | None, actor: str
) -> HeadcountDeclaration:
    """Saves and confirms; publishes workforce.declaration.confirmed.v1 (billing issues the annual invoice)."""
    return _entered(portal, member_id, year, entry, expected_version=expected_version, actor=actor, confirming=True)
