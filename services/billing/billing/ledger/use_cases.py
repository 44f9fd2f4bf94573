"""Writing the ledger: the entry every billing fact adds in its own transaction (invoices, credit notes,
payments, SEPA rejects), and the refunds and offsets of a member's credit, which commit here."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.clock import today, utcnow
from portal_common.db import is_any_of
from portal_common.mail import queue_mail
from portal_common.service import Portal

from ..invoices.rules import KIND_LABELS, OPEN_STATUSES, ZERO, InvoiceKind, settlement_status
from ..invoices.use_cases.mailing import billing_address, public_url_of
from ..models import BillingCustomer, Invoice, LedgerEntry, mail_outbox
from ..sepa.rules import AFTER_OFFSET, NoticeCreditor
from ..sepa.use_cases.adjustments import fit_pending_debits
from .mails import Refund, refund_mail
from .queries import account_in
from .rules import LedgerKind, RefundRejected, check_refund

log = logging.getLogger(__name__)


def entry_row(
    *,
    member_id: str,
    kind: LedgerKind,
    booked_on: date,
    amount: Decimal,
    label: str,
    by: str,
    applied: Decimal = ZERO,
    document_id: str | None = None,
    settles_invoice_id: str | None = None,
    payment_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "member_id": member_id,
        "kind": kind,
        "booked_on": booked_on,
        "amount": amount,
        "applied_amount": applied,
        "document_id": document_id,
        "settles_invoice_id": settles_invoice_id,
        "payment_id": payment_id,
        "label": label[:200],
        "recorded_by": by[:100],
        "created_at": utcnow(),
    }


def document_row(invoice: Any, *, by: str = "facturation") -> dict[str, Any]:
    """The entry of an invoice (a debit) or a credit note (a credit, allocated to the invoice it corrects for
    what it set off)."""
    label = f"{KIND_LABELS[invoice.kind]} {invoice.period}"
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return entry_row(
            member_id=invoice.member_id,
            kind=LedgerKind.CREDIT_NOTE,
            booked_on=invoice.issued_on,
            amount=invoice.amount_incl_tax,
            applied=-invoice.amount_paid if invoice.corrects_invoice_id else ZERO,
            document_id=invoice.id,
            settles_invoice_id=invoice.corrects_invoice_id,
            label=label,
            by=by,
        )
    return entry_row(
        member_id=invoice.member_id,
        kind=LedgerKind.INVOICE,
        booked_on=invoice.issued_on,
        amount=invoice.amount_incl_tax,
        document_id=invoice.id,
        label=label,
        by=by,
    )


def book(session: Session, row: dict[str, Any]) -> LedgerEntry:
    entry = LedgerEntry(**row)
    session.add(entry)
    return entry


COMPENSATION_LABEL = "Compensation avoir"


def compensation_row(invoice: Any, amount: Decimal) -> dict[str, Any]:
    """The entry setting the member's credit off against a new invoice as it is issued (no change of balance)."""
    return entry_row(
        member_id=invoice.member_id,
        kind=LedgerKind.OFFSET,
        booked_on=invoice.issued_on,
        amount=ZERO,
        applied=amount,
        settles_invoice_id=invoice.id,
        label=COMPENSATION_LABEL,
        by="facturation",
    )


def hold_accounts(session: Session, member_ids: list[str]) -> None:
    """hold_account for several members, in a fixed order (two transactions never wait on each other)."""
    session.execute(
        select(BillingCustomer.member_id)
        .where(is_any_of(session, BillingCustomer.member_id, sorted(set(member_ids))))
        .order_by(BillingCustomer.member_id)
        .with_for_update()
    ).all()


def hold_account(session: Session, member_id: str) -> BillingCustomer | None:
    """The member's row lock: refunds and offsets of one account queue up (never twice the same credit)."""
    return session.scalars(
        select(BillingCustomer).where(BillingCustomer.member_id == member_id).with_for_update()
    ).first()


def offset_credit(session: Session, invoice: Invoice, *, by: str, creditor: NoticeCreditor | None) -> Decimal:
    """Set the member's credit off against `invoice` (locked by the caller), in the caller's transaction: an
    « imputation » entry, no change of balance. Returns the amount set off."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE or invoice.status not in OPEN_STATUSES:
        return ZERO
    credit = account_in(session, invoice.member_id).credit
    amount = min(credit, invoice.amount_due)
    if amount <= ZERO:
        return ZERO
    book(
        session,
        entry_row(
            member_id=invoice.member_id,
            kind=LedgerKind.OFFSET,
            booked_on=today(),
            amount=ZERO,
            applied=amount,
            settles_invoice_id=invoice.id,
            label=f"Imputation du crédit sur la facture {invoice.number}",
            by=by,
        ),
    )
    invoice.amount_paid += amount
    invoice.status = settlement_status(invoice.amount_incl_tax, invoice.amount_paid)
    session.flush()
    # The company now owes less: debits it was told about must not take more.
    fit_pending_debits(session, invoice, reason=AFTER_OFFSET, creditor=creditor)
    return amount


def apply_credit(portal: Portal, invoice_id: str, *, by: str) -> Decimal:
    """Staff set the member's credit off against one of its invoices. Raises LookupError or RefundRejected."""
    with portal.uow() as tx:
        invoice = tx.session.get(Invoice, invoice_id)
        if invoice is None:
            raise LookupError(invoice_id)
        hold_account(tx.session, invoice.member_id)
        invoice = tx.session.scalars(select(Invoice).where(Invoice.id == invoice_id).with_for_update()).one()
        amount = offset_credit(tx.session, invoice, by=by, creditor=NoticeCreditor.from_settings(portal.settings))
        if amount <= ZERO:
            raise RefundRejected({"amount": "L'adhérent n'a pas de crédit à imputer sur cette facture."})
        tx.commit()
        return amount


def refund_credit(portal: Portal, member_id: str, amount: Decimal, *, by: str, reference: str | None = None) -> str:
    """Staff refund (part of) the credit held for a member: a « remboursement » entry, at most the credit.
    Returns the entry's id. Raises LookupError or RefundRejected (with the amount allowed)."""
    with portal.uow() as tx:
        if hold_account(tx.session, member_id) is None:
            raise LookupError(member_id)
        entry = book_refund(tx.session, member_id, amount, by=by, reference=reference or "Remboursement du crédit")
        tx.commit()
        return entry.id


def book_refund(
    session: Session, member_id: str, amount: Decimal, *, by: str, reference: str, mandate: str | None = None
) -> LedgerEntry:
    """The « remboursement » entry of a refund, in the caller's transaction (the account held by the caller),
    and its notice to the member. Raises RefundRejected above the credit held."""
    credit = account_in(session, member_id).credit
    check_refund(amount, credit)
    entry = book(
        session,
        entry_row(
            member_id=member_id,
            kind=LedgerKind.REFUND,
            booked_on=today(),
            amount=amount,
            label=reference[:200],
            by=by,
        ),
    )
    session.flush()
    mail_refund(session, entry, credit_left=credit - amount, mandate=mandate)
    return entry


def mail_refund(session: Session, entry: LedgerEntry, *, credit_left: Decimal, mandate: str | None = None) -> None:
    """The member's notice of a refund entry, sent only if it commits."""
    to = billing_address(
        session.get(BillingCustomer, entry.member_id),
        log=log,
        missing="refund recorded without a billing e-mail to announce it",
        entry_id=entry.id,
    )
    if to is None:
        return
    refund = Refund(
        entry_id=entry.id,
        amount=entry.amount,
        booked_on=entry.booked_on,
        reference=entry.label,
        credit_left=credit_left,
        by_transfer_to=mandate,
    )
    queue_mail(session, mail_outbox, refund_mail(refund, to=to, public_url=public_url_of(session)))
