"""Keep an invoice's pre-notified SEPA debits within what it still owes.

A credit note or a payment lowers what is due; the debits already announced but not yet in a pain.008 file
are lowered with it (latest instalments first), each change announced by a corrected pre-notification, and a
debit left at zero is cancelled. Debits already in a file are the bank's now: what they took beyond the new
amount due stays the company's credit (payments.settle, credit_notes.set_off).

Runs in the caller's transaction (the invoice locked by the caller), so the debits, the invoice and the
mails commit together or not at all.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.mail import Mail, queue_mail

from .domain import ZERO
from .models import BillingCustomer, Instalment, Invoice, SepaDebit, mail_outbox
from .sepa import CANCELLED, PRENOTIFIED, CorrectedPrenotification, Prenotification, lowered_amounts

log = logging.getLogger(__name__)

# Where the billing app puts the creditor printed on pre-notifications (see app.create_app), so session-level
# use cases (payments, credit notes, the declarations consumer) can announce a change without the settings.
CREDITOR_INFO = "billing.sepa_creditor"
AFTER_CREDIT_NOTE, AFTER_PAYMENT = "d'un avoir émis sur cette facture", "d'un règlement reçu pour cette facture"


@dataclass(frozen=True)
class NoticeCreditor:
    name: str
    identifier: str  # ICS


def session_info(name: str, identifier: str) -> dict[str, NoticeCreditor]:
    return {CREDITOR_INFO: NoticeCreditor(name=name, identifier=identifier)}


def fit_pending_debits(session: Session, invoice: Invoice, *, reason: str) -> list[SepaDebit]:
    """Lower `invoice`'s pre-notified debits not yet in a file to at most its amount due; return those changed.

    A debit a pain.008 batch is exporting right now is locked by it: it is skipped (never waited for, so the
    two never deadlock) but its amount still counts, the batch clamping it to what is due.
    """
    pending = list(session.execute(
        select(SepaDebit.id, SepaDebit.amount)
        .join(Instalment, Instalment.id == SepaDebit.instalment_id)
        .where(SepaDebit.invoice_id == invoice.id, SepaDebit.status == PRENOTIFIED, SepaDebit.batch_id.is_(None))
        .order_by(SepaDebit.collection_date, Instalment.position)).all())
    if sum((amount for _, amount in pending), ZERO) <= max(invoice.amount_due, ZERO):
        return []
    lockable = {debit.id: debit for debit in session.scalars(
        select(SepaDebit).where(SepaDebit.id.in_([debit_id for debit_id, _ in pending]),
                                SepaDebit.status == PRENOTIFIED, SepaDebit.batch_id.is_(None))
        .with_for_update(skip_locked=True))}
    fixed = sum((amount for debit_id, amount in pending if debit_id not in lockable), ZERO)
    movable = [lockable[debit_id] for debit_id, _ in pending if debit_id in lockable]
    targets = lowered_amounts([debit.amount for debit in movable], invoice.amount_due - fixed)
    changed = []
    for debit, target in zip(movable, targets):
        if target == debit.amount:
            continue
        previous = debit.amount
        debit.amount = target
        if target <= ZERO:
            debit.status = CANCELLED
        _announce(session, invoice, debit, previous=previous, reason=reason)
        changed.append(debit)
    session.flush()
    log.info("sepa debits lowered", extra={"invoice_id": invoice.id, "count": len(changed)})
    return changed


def _announce(session: Session, invoice: Invoice, debit: SepaDebit, *, previous: Decimal, reason: str) -> None:
    """Queue the corrected pre-notification (sent only if the transaction commits)."""
    creditor = session.info.get(CREDITOR_INFO)
    if not isinstance(creditor, NoticeCreditor):
        raise RuntimeError("billing sessions carry the SEPA creditor (billing.app.create_app sets it)")
    customer = session.get(BillingCustomer, debit.member_id)
    if customer is None or not customer.billing_email:
        log.warning("sepa debit lowered without a billing e-mail to announce it", extra={"debit_id": debit.id})
        return
    instalment = session.get(Instalment, debit.instalment_id)
    notice = CorrectedPrenotification(
        notice=Prenotification(invoice_number=invoice.number, mandate_reference=debit.mandate_reference,
                               creditor_identifier=creditor.identifier, creditor_name=creditor.name,
                               amount=debit.amount, collection_date=debit.collection_date,
                               instalment=f"{instalment.position}/{len(invoice.instalments)}"),
        previous_amount=previous, reason=reason)
    # An amount only goes down, so (debit, new amount) names each correction once.
    queue_mail(session, mail_outbox, Mail(to=customer.billing_email, subject=notice.subject(), body=notice.body(),
                                          key=f"sepa-prenotification:{debit.id}:{debit.amount:.2f}"))
