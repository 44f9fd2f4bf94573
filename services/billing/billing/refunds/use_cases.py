"""Use cases of refunds by SEPA credit transfer: staff ask for one, then build the pain.001 file of every
transfer waiting (each becomes the member's « remboursement » ledger entry as it goes into the file), and
download the file again.

The IBAN never rests in clear in billing's database, logs or events: the file reads each payee's bank details
from members when it is built (sepa.clients.fetch_mandate) and is kept sealed (sepa.bank_files).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from decimal import Decimal

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.clock import utcnow
from portal_common.keyring import KeyRing
from portal_common.service import Portal

from ..invoices.rules import ZERO
from ..ledger.queries import account_in
from ..ledger.use_cases import book_refund, hold_account, hold_accounts
from ..models import BillingCustomer, RefundBatch, RefundTransfer
from ..sepa.bank_files import REFUNDS, SealedFile, bank_file_ring, open_file, seal_file
from ..sepa.clients import MandateDetails, fetch_mandate
from .rules import Debtor, RefundBatchError, TransferLine, TransferStatus, check_transfer, end_to_end_id, pain001

log = logging.getLogger(__name__)


def request_transfer(portal: Portal, member_id: str, amount: Decimal, *, by: str) -> RefundTransfer:
    """Staff ask for (part of) a member's credit to be refunded by transfer to its mandate's account: it waits
    for the next pain.001 file; the credit stays the member's until then. Raises LookupError or
    TransferRejected (no active mandate, one already waiting, above the credit: with the amount allowed)."""
    with portal.uow() as tx:
        session = tx.session
        customer = hold_account(session, member_id)
        if customer is None:
            raise LookupError(member_id)
        waiting = session.scalar(
            select(RefundTransfer.id).where(
                RefundTransfer.member_id == member_id, RefundTransfer.status == TransferStatus.WAITING
            )
        )
        check_transfer(
            amount,
            account_in(session, member_id).credit,
            mandate_status=customer.mandate_status,
            already_waiting=waiting is not None,
        )
        transfer = RefundTransfer(
            id=str(uuid.uuid4()),
            member_id=member_id,
            amount=amount,
            status=TransferStatus.WAITING,
            requested_by=by[:100],
            requested_at=utcnow(),
        )
        session.add(transfer)
        tx.commit()
    log.info("refund transfer requested", extra={"transfer_id": transfer.id, "by": by})
    return transfer


def export_transfers(
    portal: Portal, *, execution_date: date, by: str, http: requests.Session | None = None
) -> tuple[RefundBatch, bytes]:
    """Put every waiting transfer into one pain.001 file to be executed on `execution_date`. Each transfer
    books its « remboursement » entry (at most the credit the member still holds: an offset may have taken
    part of it meanwhile) and the member's notice, naming the mandate's reference and the transfer's reference.
    A transfer whose credit is gone, or whose company has no active mandate at members any more, is cancelled.
    Raises RefundBatchError when nothing is left to send (the cancellations are kept), MembersUnavailable
    when members does not answer (nothing is written)."""
    settings = portal.settings
    with portal.uow() as tx:
        session = tx.session
        waiting = list(
            session.scalars(
                select(RefundTransfer)
                .where(RefundTransfer.status == TransferStatus.WAITING)
                .order_by(RefundTransfer.requested_at, RefundTransfer.id)
                .with_for_update(skip_locked=True)
            )
        )
        # The accounts too, in a fixed order: an offset or another refund of the same credit waits for this file.
        hold_accounts(session, [transfer.member_id for transfer in waiting])
        batch = RefundBatch(
            id=str(uuid.uuid4()),
            message_id=f"SCT-{utcnow():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}",
            execution_date=execution_date,
            transaction_count=0,
            control_sum=ZERO,
            created_by=by[:100],
            created_at=utcnow(),
            document=b"",  # sealed below, once its transfers are in
            document_key_id="",
        )
        session.add(batch)
        session.flush()
        lines: list[TransferLine] = []
        cancelled = 0
        for transfer in waiting:
            mandate = fetch_mandate(settings, transfer.member_id, http=http)
            customer = session.get(BillingCustomer, transfer.member_id)
            amount = min(transfer.amount, account_in(session, transfer.member_id).credit)
            if mandate is None or customer is None or amount <= ZERO:
                transfer.status = TransferStatus.CANCELLED
                cancelled += 1
                log.warning(
                    "refund transfer cancelled",
                    extra={"transfer_id": transfer.id, "reason": "no mandate" if mandate is None else "no credit"},
                )
                continue
            lines.append(_send(session, batch, transfer, customer, mandate, amount, by=by))
        if not lines:
            session.delete(batch)
            tx.commit()  # keeps the cancellations
            raise RefundBatchError("Aucun remboursement par virement n'est à transmettre.")
        debtor = Debtor(name=settings.issuer_name, iban=settings.issuer_iban, bic=settings.issuer_bic)
        document = pain001(debtor, batch.message_id, execution_date, lines)
        kept = seal_file(_file_ring(portal), document, batch_id=batch.id, kind=REFUNDS)
        batch.document, batch.document_key_id = kept.sealed, kept.key_id
        tx.commit()
    # Security log (docs/security.md DP-30): who built which file and how many transfers, never an IBAN.
    log.info(
        "refund transfer file created",
        extra={"batch_id": batch.id, "by": by, "count": batch.transaction_count, "cancelled": cancelled},
    )
    return batch, document


def _send(
    session: Session,
    batch: RefundBatch,
    transfer: RefundTransfer,
    customer: BillingCustomer,
    mandate: MandateDetails,
    amount: Decimal,
    *,
    by: str,
) -> TransferLine:
    """Book the refund of one transfer, put it in the batch, and give its line of the file."""
    reference = end_to_end_id(customer.member_number, transfer.id)
    entry = book_refund(
        session,
        transfer.member_id,
        amount,
        by=by,
        reference=f"Remboursement par virement SEPA {reference}",
        mandate=mandate.mandate_reference,
    )
    transfer.amount, transfer.status = amount, TransferStatus.SENT
    transfer.end_to_end_id, transfer.mandate_reference = reference, mandate.mandate_reference
    transfer.ledger_entry_id, transfer.batch_id = entry.id, batch.id
    batch.transaction_count += 1
    batch.control_sum += amount
    return TransferLine(
        end_to_end_id=reference,
        payee_name=customer.name,
        iban=mandate.iban,
        bic=mandate.bic,
        amount=amount,
        description=f"Remboursement credit adherent {customer.member_number}",
    )


def _file_ring(portal: Portal) -> KeyRing:
    return bank_file_ring(portal.settings.bank_file_keys, portal.settings.internal_key)


def batch_file(portal: Portal, batch_id: str, *, by: str) -> tuple[str, bytes]:
    """The pain.001 file of a batch, the same bytes as when it was built, for billing staff to download again.
    Raises LookupError or BankFileUnreadable."""
    with portal.uow() as tx:
        batch = tx.session.get(RefundBatch, batch_id)
        if batch is None:
            raise LookupError(batch_id)
        message_id = batch.message_id
        stored = SealedFile(batch.document_key_id, batch.document)
    document = open_file(_file_ring(portal), stored, batch_id=batch_id, kind=REFUNDS)
    log.info("refund transfer file downloaded", extra={"batch_id": batch_id, "by": by, "message_id": message_id})
    return message_id, document
