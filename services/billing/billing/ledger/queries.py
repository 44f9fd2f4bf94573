"""Reading the ledger: a member's account (the one function every figure comes from) and its entries."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_common.service import portal

from ..invoices.rules import InvoiceKind
from ..models import Invoice, LedgerEntry
from .rules import Account, account

CENTS = Decimal("0.01")


def account_in(session: Session, member_id: str) -> Account:
    """The member's account: balance from the ledger, dues of its open invoices (allocations from the ledger
    too, kept on each invoice in the same transaction; `python -m billing.audit` checks they agree)."""
    balance = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.member_id == member_id)
    )
    due = session.scalar(
        select(func.coalesce(func.sum(Invoice.amount_incl_tax - Invoice.amount_paid), 0)).where(
            Invoice.member_id == member_id, Invoice.kind != InvoiceKind.CREDIT_NOTE
        )
    )
    return account(Decimal(balance or 0).quantize(CENTS), Decimal(due or 0).quantize(CENTS))


def account_of(member_id: str) -> Account:
    """account_in on the request's session."""
    return account_in(portal().db.session, member_id)


def entries_of(member_id: str) -> list[LedgerEntry]:
    return list(
        portal().db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.member_id == member_id)
            .order_by(LedgerEntry.booked_on, LedgerEntry.created_at)
        )
    )
