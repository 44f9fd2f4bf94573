"""Reading the planned and sent debits for the staff page, from the request-bound session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal_common.service import portal

from ..models import BillingCustomer, Invoice, SepaBatch, SepaDebit


def latest_debits(limit: int = 500) -> list[Any]:
    """(debit, invoice number, company name) rows, latest collection date first."""
    return list(
        portal()
        .db.session.execute(
            select(SepaDebit, Invoice.number, BillingCustomer.name)
            .join(Invoice, SepaDebit.invoice_id == Invoice.id)
            .join(BillingCustomer, SepaDebit.member_id == BillingCustomer.member_id)
            .order_by(SepaDebit.collection_date.desc(), Invoice.number)
            .limit(limit)
        )
        .all()
    )


def latest_batches(limit: int = 50) -> list[SepaBatch]:
    """The pain.008 files generated, latest first (those kept can be downloaded again)."""
    return list(portal().db.session.scalars(select(SepaBatch).order_by(SepaBatch.created_at.desc()).limit(limit)))
