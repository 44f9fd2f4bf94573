"""The live counts of a declaration campaign, for the staff dashboard and the API."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from portal_common.service import portal

from ..customers.rules import ACTIVE_MEMBER
from ..invoices.rules import InvoiceKind
from ..models import BillingCustomer, ClosedCampaign, Invoice, ReceivedDeclaration
from .rules import CANCELLATION_PREFIX, CampaignProgress


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
