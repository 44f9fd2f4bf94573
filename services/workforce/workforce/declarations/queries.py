"""Read side of the headcount declaration: the employee list counted at a date (the prefill), campaigns, a
company's declarations, campaign progress. The counting helpers take the caller's session (a use case's unit of
work, or the request's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal_common.service import portal

from ..employees.rules import CATEGORIES, CategoryPolicy, classify
from ..models import DeclarationCampaign, Employee, HeadcountDeclaration, MemberDirectoryEntry
from .rules import (
    CAMPAIGN_STATUS_LABELS,
    MEMBER_CLOSED,
    NOT_ENTERABLE,
    STATUS_CODES,
    STATUS_LABELS,
    Campaign,
    Counts,
    DeclarationStatus,
    is_ceased,
    is_late,
    is_present_on,
    late_explanation,
    reference_date,
    refusal,
    shown_status,
    tally,
)


def as_campaign(row: DeclarationCampaign) -> Campaign:
    return Campaign(
        year=row.year,
        opens_on=row.opens_on,
        closes_on=row.closes_on,
        deadline=row.deadline,
        status=row.status,
        closed_at=row.closed_at,
    )


def stored_counts(row: HeadcountDeclaration, prefix: str = "") -> Counts:
    """The counts of a declaration row (`prefix` "expected_" for the list at the last save)."""
    return Counts(
        {c: getattr(row, f"{prefix}{c.lower()}") for c in CATEGORIES},
        {c: getattr(row, f"{prefix}multi_{c.lower()}") for c in CATEGORIES},
    )


def counts_on(session: Session, member_id: str, day: date, policy: CategoryPolicy) -> Counts:
    """The employee list of a company on `day`: those under contract, by category on that day."""
    stmt = select(Employee).where(
        Employee.member_id == member_id,
        Employee.hire_date <= day,
        or_(Employee.exit_date.is_(None), Employee.exit_date >= day),
    )
    rows = []
    for employee in session.scalars(stmt):
        if is_present_on(employee.hire_date, employee.exit_date, day):
            category = classify(
                employee.determinant_codes,
                birth_date=employee.birth_date,
                on=day,
                adapted_undisclosed=employee.adapted_undisclosed,
                policy=policy,
            ).category
            rows.append((category, employee.multi_employer))
    return tally(rows)


def expected_counts(session: Session, member_id: str, year: int, policy: CategoryPolicy) -> Counts:
    """The prefill: the employee list as at 1 January of the year."""
    return counts_on(session, member_id, reference_date(year), policy)


def company_ceased(entry: MemberDirectoryEntry | None, year: int, day: date) -> bool:
    """Closed, or ceased by 1 January of the campaign year (nobody to declare) or by today."""
    if entry is None:
        return False
    on = max(day, reference_date(year))
    return entry.status == MEMBER_CLOSED or is_ceased(entry.ceased_kind, entry.ceased_on, on)


def undeclared_companies(
    session: Session, campaign: DeclarationCampaign, day: date, policy: CategoryPolicy
) -> list[dict]:
    """Every company known here without a confirmed declaration, with its headcount of today: what the closing
    publishes (workforce.campaign.closed.v1), and what its confirmation page counts."""
    declared = set(
        session.scalars(
            select(HeadcountDeclaration.member_id).where(
                HeadcountDeclaration.campaign_id == campaign.id, HeadcountDeclaration.status != DeclarationStatus.DRAFT
            )
        )
    )
    entries = {e.member_id: e for e in session.scalars(select(MemberDirectoryEntry))}
    with_employees = set(session.scalars(select(Employee.member_id).distinct()))
    found = []
    for member_id in sorted(set(entries) | with_employees):
        if member_id in declared or company_ceased(entries.get(member_id), campaign.year, day):
            continue
        found.append({"member_id": member_id, **counts_on(session, member_id, day, policy).as_dict()})
    return found


def directory_entries() -> list[MemberDirectoryEntry]:
    return list(portal().db.session.scalars(select(MemberDirectoryEntry)))


def campaign_of(year: int) -> DeclarationCampaign | None:
    return portal().db.session.scalars(select(DeclarationCampaign).where(DeclarationCampaign.year == year)).first()


def all_campaigns() -> list[DeclarationCampaign]:
    return list(portal().db.session.scalars(select(DeclarationCampaign).order_by(DeclarationCampaign.year.desc())))


def declaration_row(campaign: DeclarationCampaign | None, member_id: str) -> HeadcountDeclaration | None:
    if campaign is None:
        return None
    return (
        portal()
        .db.session.scalars(
            select(HeadcountDeclaration).where(
                HeadcountDeclaration.campaign_id == campaign.id, HeadcountDeclaration.member_id == member_id
            )
        )
        .first()
    )


def campaign_as_dict(campaign: DeclarationCampaign) -> dict:
    return {
        "id": campaign.id,
        "year": campaign.year,
        "opens_on": campaign.opens_on,
        "closes_on": campaign.closes_on,
        "deadline": campaign.deadline,
        "status": campaign.status,
        "status_label": CAMPAIGN_STATUS_LABELS[campaign.status],
        "opened_at": campaign.opened_at,
        "closed_at": campaign.closed_at,
    }


def declaration_as_dict(
    campaign: DeclarationCampaign, row: HeadcountDeclaration | None, member_id: str, today: date
) -> dict:
    """The declaration of a company for a campaign: saved counts, or the prefill when none is saved yet."""
    session = portal().db.session
    ceased = company_ceased(session.get(MemberDirectoryEntry, member_id), campaign.year, today)
    stored_status = row.status if row is not None else None
    status = shown_status(as_campaign(campaign), stored_status, today=today, ceased=ceased)
    reason = refusal(as_campaign(campaign), stored_status, today=today, ceased=ceased)
    if row is not None and stored_status != DeclarationStatus.DRAFT:
        expected = stored_counts(row, "expected_")  # what the list said when it was confirmed
    else:
        expected = expected_counts(session, member_id, campaign.year, portal().settings.category_policy)
    counts = stored_counts(row) if row is not None else expected
    late = status != NOT_ENTERABLE and is_late(as_campaign(campaign), row.confirmed_at if row is not None else None)
    return {
        "declaration_id": row.id if row is not None else None,
        "member_id": member_id,
        "year": campaign.year,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "editable": reason is None,
        "refusal": reason,
        "late": late,
        "late_explanation": late_explanation(campaign.year) if late else None,
        **counts.as_dict(),
        "total": counts.total,
        "expected": {**expected.as_dict(), "total": expected.total},
        "justifications": {
            c: getattr(row, f"justification_{c.lower()}") if row is not None else None for c in CATEGORIES
        },
        "version": row.version if row is not None else 0,
        "confirmed_at": row.confirmed_at if row is not None else None,
        "invoice_number": row.invoice_number if row is not None else None,
        "campaign": campaign_as_dict(campaign),
    }


def member_declarations(member_id: str, today: date) -> list[dict]:
    """Every campaign with this company's status, newest year first (the "Liste des déclarations")."""
    found = []
    session = portal().db.session
    entry = session.get(MemberDirectoryEntry, member_id)
    # Every campaign beside this company's declaration in it, in one round trip (« Accueil » asks for it too).
    pairs = session.execute(
        select(DeclarationCampaign, HeadcountDeclaration)
        .outerjoin(
            HeadcountDeclaration,
            (HeadcountDeclaration.campaign_id == DeclarationCampaign.id)
            & (HeadcountDeclaration.member_id == member_id),
        )
        .order_by(DeclarationCampaign.year.desc())
    ).all()
    for campaign, row in pairs:
        status = shown_status(
            as_campaign(campaign),
            row.status if row else None,
            today=today,
            ceased=company_ceased(entry, campaign.year, today),
        )
        found.append(
            {
                "year": campaign.year,
                "status": status,
                "status_label": STATUS_LABELS[status],
                "opens_on": campaign.opens_on,
                "closes_on": campaign.closes_on,
                "deadline": campaign.deadline,
                "total": stored_counts(row).total if row is not None else None,
                "confirmed_at": row.confirmed_at if row is not None else None,
                "invoice_number": row.invoice_number if row is not None else None,
                "late": status != NOT_ENTERABLE
                and is_late(as_campaign(campaign), row.confirmed_at if row is not None else None),
            }
        )
    return found


@dataclass(frozen=True)
class CompanyProgress:
    member_id: str
    member_number: str
    name: str
    status: str
    total: int | None


def progress(campaign: DeclarationCampaign, today: date) -> tuple[dict[str, int], list[CompanyProgress]]:
    """Counts per status over every company known here, and the companies with their status."""
    session = portal().db.session
    entries = {e.member_id: e for e in session.scalars(select(MemberDirectoryEntry))}
    rows = {
        r.member_id: r
        for r in session.scalars(select(HeadcountDeclaration).where(HeadcountDeclaration.campaign_id == campaign.id))
    }
    members = set(entries) | set(rows) | set(session.scalars(select(Employee.member_id).distinct()))
    counts = dict.fromkeys(STATUS_CODES, 0)
    companies = []
    for member_id in members:
        entry, row = entries.get(member_id), rows.get(member_id)
        status = shown_status(
            as_campaign(campaign),
            row.status if row else None,
            today=today,
            ceased=company_ceased(entry, campaign.year, today),
        )
        counts[status] += 1
        companies.append(
            CompanyProgress(
                member_id,
                entry.member_number if entry else "",
                entry.name if entry else "Adhérent inconnu de ce service",
                status,
                stored_counts(row).total if row is not None else None,
            )
        )
    companies.sort(key=lambda c: (c.member_number or "9999999", c.name))
    return counts, companies
