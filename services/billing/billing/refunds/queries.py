"""Reading the refund transfers and their files for the staff page, from the request-bound session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal_common.service import portal

from ..models import BillingCustomer, RefundBatch, RefundTransfer


def latest_transfers(limit: int = 500) -> list[Any]:
    """(transfer, company name, member number) rows: those waiting first, then the latest asked."""
    return list(
        portal()
        .db.session.execute(
            select(RefundTransfer, BillingCustomer.name, BillingCustomer.member_number)
            .join(BillingCustomer, RefundTransfer.member_id == BillingCustomer.member_id)
            .order_by(RefundTransfer.batch_id.is_not(None), RefundTransfer.requested_at.desc())
            .limit(limit)
        )
        .all()
    )


def latest_batches(limit: int = 50) -> list[Any]:
    """The pain.001 files built, latest first (without their sealed bytes)."""
    return list(
        portal()
        .db.session.execute(
            select(
                RefundBatch.id,
                RefundBatch.message_id,
                RefundBatch.execution_date,
                RefundBatch.transaction_count,
                RefundBatch.control_sum,
                RefundBatch.created_at,
            )
            .order_by(RefundBatch.created_at.desc())
            .limit(limit)
        )
        .all()
    )
