"""Keep an invoice's pre-notified SEPA debits within what it still owes.

A credit note or a payment lowers what is due; the debits already announced but not yet in a pain.008 file
are lowered with it (latest instalments first), each change announced by a corrected pre-notification, and a
debit left at zero is cancelled. Debits already in a file are the bank's now: they count first, and what they
collect beyond the new amount due stays the company's credit (payments.rules.settle, credit_notes.rules.set_off).

Runs in the caller's transaction (the invoice locked by the caller), so the debits, the invoice and the
mails commit together or not at all.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal_common.mail import Mail, queue_mail

from ...invoices.rules import ZERO
from ...invoices.use_cases.mailing import billing_address
from ...models import BillingCustomer, Instalment, Invoice, SepaDebit, mail_outbox
from ..rules import CorrectedPrenotification, DebitStatus, NoticeCreditor, Prenotification, lowered_amounts

log = logging.getLogger(__name__)


def cancel_pending_debits(session: Session, member_id: str) -> None:
    """Debits pre-notified but not yet sent to the bank are dropped (sent ones are the bank's business)."""
    session.execute(
        update(SepaDebit)
        .where(SepaDebit.member_id == member_id, SepaDebit.status == DebitStatus.PRENOTIFIED)
        .values(status=DebitStatus.CANCELLED)
    )


def fit_pending_debits(
    session: Session, invoice: Invoice, *, reason: str, creditor: NoticeCreditor | None
) -> list[SepaDebit]:
    """Lower `invoice`'s pre-notified debits not yet in a file to at most its amount due; return those changed.
    Each change is announced in the name of `creditor` (the service's settings).

    A debit a pain.008 batch is exporting right now is locked by it: it is skipped (never waited for, so the
    two never deadlock) but its amount still counts, the batch clamping it to what is due.
    """
    pending = list(
        session.execute(
            select(SepaDebit.id, SepaDebit.amount)
            .join(Instalment, Instalment.id == SepaDebit.instalment_id)
            .where(
                SepaDebit.invoice_id == invoice.id,
                SepaDebit.status == DebitStatus.PRENOTIFIED,
                SepaDebit.batch_id.is_(None),
            )
            .order_by(SepaDebit.collection_date, Instalment.position)
        ).all()
    )
    # Debits in flight (in a file, not collected) are not in amount_paid yet but will be: they count first.
    in_flight = session.scalar(
        select(func.coalesce(func.sum(SepaDebit.amount), 0)).where(
            SepaDebit.invoice_id == invoice.id, SepaDebit.status == DebitStatus.SENT
        )
    )
    ceiling = invoice.amount_due - Decimal(in_flight or 0)
    if sum((amount for _, amount in pending), ZERO) <= max(ceiling, ZERO):
        return []
    lockable = {
        debit.id: debit
        for debit in session.scalars(
            select(SepaDebit)
            .where(
                SepaDebit.id.in_([debit_id for debit_id, _ in pending]),
                SepaDebit.status == DebitStatus.PRENOTIFIED,
                SepaDebit.batch_id.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
    }
    fixed = sum((amount for debit_id, amount in pending if debit_id not in lockable), ZERO)
    movable = [lockable[debit_id] for debit_id, _ in pending if debit_id in lockable]
    targets = lowered_amounts([debit.amount for debit in movable], ceiling - fixed)
    changed = []
    for debit, target in zip(movable, targets):
        if target == debit.amount:
            continue
        previous = debit.amount
        debit.amount = target
        if target <= ZERO:
            debit.status = DebitStatus.CANCELLED
        _announce(session, invoice, debit, previous=previous, reason=reason, creditor=creditor)
        changed.append(debit)
    session.flush()
    log.info("sepa debits lowered", extra={"invoice_id": invoice.id, "count": len(changed)})
    return changed


def _announce(
    session: Session,
    invoice: Invoice,
    debit: SepaDebit,
    *,
    previous: Decimal,
    reason: str,
    creditor: NoticeCreditor | None,
) -> None:
    """Queue the corrected pre-notification (sent only if the transaction commits)."""
    if creditor is None:
        raise RuntimeError("a lowered SEPA debit is announced in the creditor's name: pass the settings' creditor")
    to = billing_address(
        session.get(BillingCustomer, debit.member_id),
        log=log,
        missing="sepa debit lowered without a billing e-mail to announce it",
        debit_id=debit.id,
    )
    if to is None:
        return
    instalment = session.get(Instalment, debit.instalment_id)
    notice = CorrectedPrenotification(
        notice=Prenotification(
            invoice_number=invoice.number,
            mandate_reference=debit.mandate_reference,
            creditor_identifier=creditor.identifier,
            creditor_name=creditor.name,
            amount=debit.amount,
            collection_date=debit.collection_date,
            instalment=f"{instalment.position}/{len(invoice.instalments)}",
        ),
        previous_amount=previous,
        reason=reason,
    )
    # An amount only goes down, so (debit, new amount) names each correction once.
    queue_mail(
        session,
        mail_outbox,
        Mail(
            to=to,
            subject=notice.subject(),
            body=notice.body(),
            key=f"sepa-prenotification:{debit.id}:{debit.amount:.2f}",
        ),
    )
