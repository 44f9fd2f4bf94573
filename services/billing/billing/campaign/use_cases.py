"""Estimated invoices when a campaign closes, for the members who did not declare (in the consumer's
transaction, idempotent through each estimate's unique source key)."""

from __future__ import annotations

import logging

from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow

from ..customers.rules import MandateStatus
from ..invoices.rules import CannotInvoiceYet, InvoiceKind, IssueCommand
from ..invoices.use_cases.declarations import billed_before
from ..invoices.use_cases.issue import prepare_invoice
from ..invoices.use_cases.locks import hold_campaign_year
from ..invoices.use_cases.numbering import Numbering
from ..models import BillingCustomer, ClosedCampaign, Invoice, PendingHire
from ..tariffs.queries import tariff_for
from .queries import estimable_members
from .rules import CampaignClosed, estimate_key, estimate_lines

log = logging.getLogger(__name__)


def estimate_undeclared(session: Session, closed: CampaignClosed) -> list[Invoice]:
    """An estimated invoice for each member workforce lists as undeclared that queries.estimable_members
    admits (the predicate workforce's confirmation page counted with); the others are skipped and logged."""
    tariff = tariff_for(session, closed.year)
    if tariff is None:
        raise CannotInvoiceYet(f"no tariff for {closed.year}")
    # Declarations being invoiced finish first; those arriving now wait and then cancel the estimates.
    hold_campaign_year(session, closed.year, exclusive=True)
    record = session.get(ClosedCampaign, closed.year) or ClosedCampaign(year=closed.year)
    record.campaign_id, record.closed_at = closed.campaign_id, closed.closed_at
    record.undeclared_count, record.received_at = len(closed.undeclared), utcnow()
    session.add(record)
    # Hires kept for declarations of past years that will never come are dropped.
    session.execute(delete(PendingHire).where(PendingHire.year < today().year - 1))
    estimable = estimable_members(session, closed.year, [member.member_id for member in closed.undeclared])
    numbering = Numbering()
    issued = []
    for member in closed.undeclared:
        if member.member_id not in estimable:
            # Declared meanwhile, already estimated, billed its annual fee otherwise (by staff: never a facture
            # d'office beside it), or unknown to billing.
            log.info("undeclared member gets no estimate", extra={"member_id": member.member_id})
            continue
        estimable.discard(member.member_id)  # listed twice: estimated once
        customer = session.get(BillingCustomer, member.member_id)
        key = estimate_key(member.member_id, closed.year)
        lines = estimate_lines(
            tariff,
            closed.year,
            member,
            new_member=not billed_before(session, member.member_id),
            sepa_debit=customer.mandate_status == MandateStatus.ACTIVE,
        )
        issued.append(
            prepare_invoice(
                session,
                IssueCommand(
                    member_id=member.member_id,
                    kind=InvoiceKind.ESTIMATE,
                    lines=lines,
                    vat_rate=tariff.vat_rate,
                    period=str(closed.year),
                    source_key=key,
                ),
                numbering,
            )
        )
    session.flush()
    numbering.assign(session)
    return issued  # type: ignore[return-value]  # ORM invoices
