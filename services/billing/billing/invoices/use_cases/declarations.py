"""The annual invoice of a confirmed headcount declaration, one at a time or by batches (the January rush).

Both run in the consumer's transaction and end by numbering what they issued (numbering.assign): the
consumer commits right after.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common import context
from portal_common.clock import today, utcnow
from portal_common.db import is_any_of

from ...campaign.rules import CANCELLATION_PREFIX, estimate_key
from ...credit_notes.use_cases import cancel_estimate, cancel_replaced_annual
from ...customers.rules import MandateStatus
from ...fees.use_cases import bill_pending_hires
from ...models import BillingCustomer, Invoice, PendingHire, ReceivedDeclaration
from ...sepa.rules import NoticeCreditor
from ...tariffs.queries import tariff_for
from ..annual import Declaration, annual_lines
from ..rules import ANNUAL_KINDS, CannotInvoiceYet, InvoiceKind, IssueCommand, declaration_key
from .issue import live_annual, prepare_invoice
from .locks import hold_campaign_years, hold_for_declaration, hold_members_hires
from .numbering import Numbering

log = logging.getLogger(__name__)


def billed_before(session: Session, member_id: str) -> bool:
    """Whether the company already received an annual fee (else it is a new member owing the entry fee).

    An estimated invoice cancelled by the real declaration does not count: the real invoice then carries
    the entry fee the estimate carried.
    """
    return bool(billed_members(session, [member_id]))


def billed_members(session: Session, members: list[str]) -> set[str]:
    """billed_before for many companies in one query."""
    cancelled = select(Invoice.corrects_invoice_id).where(
        is_any_of(session, Invoice.member_id, members),
        Invoice.source_key.like(f"{CANCELLATION_PREFIX}%"),
        Invoice.corrects_invoice_id.is_not(None),
    )
    return set(
        session.scalars(
            select(Invoice.member_id)
            .where(
                is_any_of(session, Invoice.member_id, members),
                Invoice.kind.in_(ANNUAL_KINDS),
                Invoice.id.not_in(cancelled),
            )
            .distinct()
        )
    )


def receive_declaration(
    session: Session, declaration: Declaration, *, confirmed_on: date, creditor: NoticeCreditor | None
) -> Invoice | None:
    """A declaration delivered alone: its annual invoice, then the hires kept waiting for it, numbered."""
    numbering = Numbering()
    invoice = invoice_declaration(
        session, declaration, confirmed_on=confirmed_on, creditor=creditor, numbering=numbering
    )
    bill_pending_hires(session, declaration.member_id, declaration.year, numbering)
    numbering.assign(session)
    return invoice


def invoice_declaration(
    session: Session,
    declaration: Declaration,
    *,
    confirmed_on: date | None = None,
    creditor: NoticeCreditor | None = None,
    numbering: Numbering | None = None,
) -> Invoice | None:
    """Issue the annual invoice of a confirmed declaration, once; runs in the caller's transaction.

    The declaration is kept as received (the campaign dashboard and late hires read it). An estimated
    invoice of that year is first cancelled by a credit note (whose lowered SEPA debits are announced in the
    name of `creditor`). None when this declaration was already received (two deliveries of it queue up on
    the company's lock; its key is unique besides) or owes nothing. Without a `numbering` of the caller's,
    what it issues is numbered before it returns.
    """
    own = numbering is None
    numbering = numbering or Numbering()
    # Lock order everywhere: the company's hires, then the campaign year, then the invoice sequence.
    hold_for_declaration(session, declaration.member_id, declaration.year)
    if session.get(ReceivedDeclaration, declaration.declaration_id) is not None:
        return None
    customer = session.get(BillingCustomer, declaration.member_id)
    tariff = tariff_for(session, declaration.year)
    if customer is None or tariff is None:
        raise CannotInvoiceYet("customer unknown" if customer is None else f"no tariff for {declaration.year}")
    received = ReceivedDeclaration(
        declaration_id=declaration.declaration_id,
        member_id=declaration.member_id,
        year=declaration.year,
        version=declaration.version,
        confirmed_on=confirmed_on or today(),
        received_at=utcnow(),
        headcount=sum(declaration.headcount.values()),
    )
    estimate = session.scalars(
        select(Invoice)
        .where(Invoice.source_key == estimate_key(declaration.member_id, declaration.year))
        .with_for_update()
    ).first()
    if estimate is not None:
        cancel_estimate(session, estimate, numbering, creditor=creditor)
    replaced = live_annual(session, declaration.member_id, str(declaration.year))
    if replaced is not None and replaced.declaration_id is None:
        # An annual fee issued without a declaration (by staff, or brought from a former system) gives way to
        # the declared one: a credit note cancels it in the same transaction, as for an estimate.
        cancel_replaced_annual(session, replaced, numbering, creditor=creditor)
    lines = annual_lines(
        tariff,
        declaration,
        new_member=not billed_before(session, declaration.member_id),
        sepa_debit=customer.mandate_status == MandateStatus.ACTIVE,
    )
    invoice = None
    existing = live_annual(session, declaration.member_id, str(declaration.year))
    if existing is not None:
        # Never a second annual fee of the year (the database refuses it besides): an earlier declaration's
        # invoice stays; staff cancel it with a credit note if this declaration should replace it.
        log.warning(
            "declaration received while an annual invoice of the year is live, none issued",
            extra={"declaration_id": declaration.declaration_id, "invoice_id": existing.id},
        )
    elif lines:
        invoice = prepare_invoice(
            session,
            IssueCommand(
                member_id=declaration.member_id,
                kind=InvoiceKind.ANNUAL_FEE,
                lines=lines,
                vat_rate=tariff.vat_rate,
                period=str(declaration.year),
                declaration_id=declaration.declaration_id,
                source_key=declaration_key(declaration.declaration_id),
            ),
            numbering,
        )
        received.invoice_id = invoice.id
    else:
        log.info("declaration owes nothing, no invoice", extra={"declaration_id": declaration.declaration_id})
    # Added once the invoice is stored, so one INSERT records both the receipt and its invoice.
    session.add(received)
    session.flush()
    if own:
        numbering.assign(session)
    return invoice  # type: ignore[return-value]  # an ORM invoice: only batches keep theirs unsaved


def invoice_declarations(
    session: Session,
    received: list[tuple[Declaration, date, str | None, str | None]],
    *,
    creditor: NoticeCreditor | None,
) -> None:
    """The annual invoices of a batch of confirmed declarations `(declaration, confirmed_on, event_id,
    correlation_id)`, in the consumer's transaction: what receive_declaration does for each, with a few
    set-based queries for the whole batch, the invoices inserted and numbered together at the end. A
    declaration with an estimate to cancel or hires waiting for it goes through invoice_declaration itself."""
    numbering = Numbering()
    if session.get_bind().dialect.name != "postgresql":
        for declaration, confirmed, event_id, correlation_id in received:
            with context.bound(event_id=event_id, correlation_id=correlation_id):
                invoice_declaration(
                    session, declaration, confirmed_on=confirmed, creditor=creditor, numbering=numbering
                )
                bill_pending_hires(session, declaration.member_id, declaration.year, numbering)
        numbering.assign(session)
        return
    members = sorted({declaration.member_id for declaration, *_ in received})
    years = sorted({declaration.year for declaration, *_ in received})
    # The same locks as invoice_declaration, every company's at once in one order (no deadlock between
    # two batches), then each year's, shared.
    hold_members_hires(session, members)
    hold_campaign_years(session, years)
    ids = [declaration.declaration_id for declaration, *_ in received]
    seen = set(
        session.scalars(
            select(ReceivedDeclaration.declaration_id).where(
                is_any_of(session, ReceivedDeclaration.declaration_id, ids)
            )
        )
    )
    # Plain rows, not ORM objects (a tenth of the cost each): what pricing and the e-mails read of each company.
    customers = {
        row.member_id: row
        for row in session.execute(
            select(
                BillingCustomer.member_id,
                BillingCustomer.mandate_status,
                BillingCustomer.name,
                BillingCustomer.billing_email,
            ).where(is_any_of(session, BillingCustomer.member_id, members))
        )
    }
    numbering.recipients.update(customers)
    tariffs = {year: tariff_for(session, year) for year in years}
    estimate_keys = {estimate_key(d.member_id, d.year): (d.member_id, d.year) for d, *_ in received}
    slow = {
        estimate_keys[key]
        for key in session.scalars(
            select(Invoice.source_key).where(is_any_of(session, Invoice.source_key, estimate_keys))
        )
    }
    slow |= {
        (member_id, year)
        for member_id, year in session.execute(
            select(PendingHire.member_id, PendingHire.year)
            .where(is_any_of(session, PendingHire.member_id, members), is_any_of(session, PendingHire.year, years))
            .distinct()
        ).all()
    }
    # A company with a live annual fee of the year (issued by staff, say) takes the one-declaration path,
    # which issues no second one.
    periods = [str(year) for year in years]
    slow |= {
        (member_id, int(period))
        for member_id, period in session.execute(
            select(Invoice.member_id, Invoice.period).where(
                is_any_of(session, Invoice.member_id, members),
                is_any_of(session, Invoice.period, periods),
                Invoice.kind.in_(ANNUAL_KINDS),
                Invoice.cancelled_by_id.is_(None),
            )
        ).all()
    }
    billed = billed_members(session, members)
    for declaration, confirmed, event_id, correlation_id in received:
        if declaration.declaration_id in seen:  # delivered again under another event id
            continue
        seen.add(declaration.declaration_id)
        member_id, year = declaration.member_id, declaration.year
        customer, tariff = customers.get(member_id), tariffs[year]
        if customer is None or tariff is None:
            raise CannotInvoiceYet("customer unknown" if customer is None else f"no tariff for {year}")
        with context.bound(event_id=event_id, correlation_id=correlation_id):
            if (member_id, year) in slow:
                # Rare: the one-declaration path, which must see what this batch already wrote.
                numbering.store_unsaved(session)
                invoice_declaration(
                    session, declaration, confirmed_on=confirmed, creditor=creditor, numbering=numbering
                )
                bill_pending_hires(session, member_id, year, numbering)
                billed.add(member_id)
                continue
            row = {
                "declaration_id": declaration.declaration_id,
                "member_id": member_id,
                "year": year,
                "version": declaration.version,
                "confirmed_on": confirmed,
                "received_at": utcnow(),
                "invoice_id": None,
                "headcount": sum(declaration.headcount.values()),
            }
            lines = annual_lines(
                tariff,
                declaration,
                new_member=member_id not in billed,
                sepa_debit=customer.mandate_status == MandateStatus.ACTIVE,
            )
            if lines:
                invoice = prepare_invoice(
                    session,
                    IssueCommand(
                        member_id=member_id,
                        kind=InvoiceKind.ANNUAL_FEE,
                        lines=lines,
                        vat_rate=tariff.vat_rate,
                        period=str(year),
                        declaration_id=declaration.declaration_id,
                        source_key=declaration_key(declaration.declaration_id),
                    ),
                    numbering,
                    unsaved=True,
                    customer_known=True,
                )
                row["invoice_id"] = invoice.id
                billed.add(member_id)
            else:
                log.info("declaration owes nothing, no invoice", extra={"declaration_id": declaration.declaration_id})
            numbering.add_referring_row(ReceivedDeclaration, row)
    numbering.assign(session)
