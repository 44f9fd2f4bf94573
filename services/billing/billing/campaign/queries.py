"""The live counts of a declaration campaign, for the staff dashboard and the API."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_common.service import portal

from ..customers.rules import ACTIVE_MEMBER
from ..invoices.rules import ANNUAL_KINDS, InvoiceKind
from ..models import BillingCustomer, ClosedCampaign, Invoice, ReceivedDeclaration, TariffRow
from .rules import CANCELLATION_PREFIX, CampaignProgress, estimate_key


def estimable_members(session: Session, year: int, member_ids: Iterable[str]) -> set[str]:
    """Which of the members a closing lists as undeclared get a facture d'office: those billing knows, whose
    declaration it did not receive, not estimated yet, without a live annual fee of the year (staff-issued).

    The one predicate of the closing (campaign.use_cases.estimate_undeclared) and of its preview (what
    workforce's confirmation page counts), so both always agree.
    """
    members = sorted(set(member_ids))
    if not members:
        return set()
    period = str(year)
    known = set(session.scalars(select(BillingCustomer.member_id).where(BillingCustomer.member_id.in_(members))))
    declared = select(ReceivedDeclaration.member_id).where(
        ReceivedDeclaration.year == year, ReceivedDeclaration.member_id.in_(members)
    )
    estimated_keys = [estimate_key(member, year) for member in members]
    billed = select(Invoice.member_id).where(
        Invoice.member_id.in_(members),
        (Invoice.source_key.in_(estimated_keys))
        | ((Invoice.period == period) & Invoice.kind.in_(ANNUAL_KINDS) & Invoice.cancelled_by_id.is_(None)),
    )
    return known - set(session.scalars(declared)) - set(session.scalars(billed))


def estimates_preview(year: int, member_ids: Iterable[str]) -> dict:
    """What a closing of `year` listing these members would issue now (workforce's confirmation page)."""
    session = portal().db.session
    return {
        "year": year,
        "estimated": sorted(estimable_members(session, year, member_ids)),
        "tariff": session.get(TariffRow, year) is not None,
    }


def campaign_progress(year: int) -> CampaignProgress:
    session = portal().db.session
    received = int(
        session.scalar(select(func.count()).select_from(ReceivedDeclaration).where(ReceivedDeclaration.year == year))
        or 0
    )
    invoiced = int(
        session.scalar(
            select(func.count())
            .select_from(ReceivedDeclaration)
            .where(ReceivedDeclaration.year == year, ReceivedDeclaration.invoice_id.is_not(None))
        )
        or 0
    )
    period = str(year)
    estimated = int(
        session.scalar(
            select(func.count())
            .select_from(Invoice)
            .where(Invoice.kind == InvoiceKind.ESTIMATE, Invoice.period == period)
        )
        or 0
    )
    cancelled = int(
        session.scalar(
            select(func.count())
            .select_from(Invoice)
            .where(
                Invoice.kind == InvoiceKind.CREDIT_NOTE,
                Invoice.period == period,
                Invoice.source_key.like(f"{CANCELLATION_PREFIX}%"),
            )
        )
        or 0
    )
    declared = select(ReceivedDeclaration.member_id).where(ReceivedDeclaration.year == year)
    estimated_members = select(Invoice.member_id).where(Invoice.kind == InvoiceKind.ESTIMATE, Invoice.period == period)
    pending = int(
        session.scalar(
            select(func.count())
            .select_from(BillingCustomer)
            .where(
                BillingCustomer.status == ACTIVE_MEMBER,
                BillingCustomer.member_id.not_in(declared),
                BillingCustomer.member_id.not_in(estimated_members),
            )
        )
        or 0
    )
    amount = session.scalar(
        select(func.coalesce(func.sum(Invoice.amount_incl_tax), 0)).where(
            Invoice.kind == InvoiceKind.ANNUAL_FEE, Invoice.period == period, Invoice.declaration_id.is_not(None)
        )
    )
    closed = session.get(ClosedCampaign, year)
    return CampaignProgress(
        year=year,
        received=received,
        invoiced=invoiced,
        not_invoiced=received - invoiced,
        pending=pending,
        estimated=estimated,
        estimates_cancelled=cancelled,
        invoiced_amount_incl_tax=Decimal(amount or 0).quantize(Decimal("0.01")),
        closed_at=closed.closed_at if closed else None,
    )
