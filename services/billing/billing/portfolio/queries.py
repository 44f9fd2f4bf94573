"""Billing's columns of the firm's portfolio: each client's account from the ledger (the same `account` every
page shows), in three grouped queries whatever the number of clients."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from portal_common.service import portal

from ..invoices.rules import InvoiceKind
from ..ledger.rules import account
from ..models import Invoice, LedgerEntry, SepaDebit
from ..sepa.rules import DebitStatus

CENTS = Decimal("0.01")


def _sums(stmt) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    return {member_id: Decimal(total or 0).quantize(CENTS) for member_id, total in portal().db.session.execute(stmt)}


def portfolio_columns(member_ids: list[str]) -> dict[str, dict[str, object]]:
    if not member_ids:
        return {}
    balances = _sums(
        select(LedgerEntry.member_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.member_id.in_(member_ids))
        .group_by(LedgerEntry.member_id)
    )
    dues = _sums(
        select(Invoice.member_id, func.sum(Invoice.amount_incl_tax - Invoice.amount_paid))
        .where(Invoice.member_id.in_(member_ids), Invoice.kind != InvoiceKind.CREDIT_NOTE)
        .group_by(Invoice.member_id)
    )
    pending = _sums(
        select(SepaDebit.member_id, func.sum(SepaDebit.amount))
        .where(SepaDebit.member_id.in_(member_ids), SepaDebit.status == DebitStatus.SENT)
        .group_by(SepaDebit.member_id)
    )
    zero = Decimal("0.00")
    columns: dict[str, dict[str, object]] = {}
    for member_id in member_ids:
        held = account(balances.get(member_id, zero), dues.get(member_id, zero), pending.get(member_id, zero))
        columns[member_id] = {
            # What the member owes now (a creditor account owes nothing).
            "balance_due": str(max(held.balance, zero)),
            "credit": str(max(held.credit, zero)),
            "invoices_page": "/factures#non-reglees",
        }
    return columns
