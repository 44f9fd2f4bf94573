"""Recording payments: transfers and cheques by staff, card payments from the provider's notification, and
the settlement every payment goes through (SEPA debits too)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from portal_common.clock import today, utcnow
from portal_common.mail import queue_mail
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ..invoices.event_data import paid_event
from ..invoices.rules import ZERO, InvoiceKind, InvoiceNotFound, InvoiceStatus
from ..invoices.use_cases.mailing import billing_address, public_url_of
from ..invoices.use_cases.numbering import EVENTS
from ..ledger.queries import debits_in_flight_in
from ..ledger.rules import LedgerKind
from ..ledger.use_cases import book, entry_row
from ..models import BillingCustomer, CardPayment, Invoice, Payment, mail_outbox
from ..sepa.rules import AFTER_PAYMENT, NoticeCreditor
from ..sepa.use_cases.adjustments import fit_pending_debits
from .card import PROVIDER, CardPaymentRefused, card_enabled
from .mails import ReceivedPayment, payment_mail
from .provider import Notification, NotificationRejected, new_reference
from .rules import METHOD_LABELS, CardPaymentStatus, PaymentInput, PaymentMethod, check_payment, settle

log = logging.getLogger(__name__)


def record_payment(portal: Portal, invoice_id: str, payment: PaymentInput, *, by: str) -> Payment:
    """Staff record a transfer or a cheque; an overpayment is kept as the company's credit.
    Raises InvoiceNotFound or PaymentRejected."""
    with portal.uow() as tx:
        # The row lock makes two payments recorded at once add up instead of overwriting each other.
        invoice = tx.session.scalars(select(Invoice).where(Invoice.id == invoice_id).with_for_update()).first()
        if invoice is None:
            raise InvoiceNotFound(invoice_id)
        checked = check_payment(payment, kind=invoice.kind, today=today(), due=invoice.amount_due)
        recorded = apply_payment(
            tx.session, invoice, checked, by=by, creditor=NoticeCreditor.from_settings(portal.settings)
        )
        tx.commit()
        return recorded


def apply_payment(
    session: Session,
    invoice: Invoice,
    payment: PaymentInput,
    *,
    by: str,
    creditor: NoticeCreditor,
    adjust_debits: bool = True,
) -> Payment:
    """Settle `invoice` (locked by the caller) with a checked payment, in the caller's transaction; what
    exceeds the amount due stays as the company's credit. Publishes billing.invoice.paid.v1.

    The invoice's announced SEPA debits are lowered to what is left, unless the caller does it itself
    (`adjust_debits=False`: a debit being collected lowers them once it is out of flight)."""
    effect = settle(invoice.amount_incl_tax, invoice.amount_paid, invoice.status, payment.amount)
    recorded = Payment(
        id=str(uuid.uuid4()),
        invoice_id=invoice.id,
        member_id=invoice.member_id,
        method=payment.method,
        amount=payment.amount,
        applied_amount=effect.applied,
        received_on=payment.received_on,
        reference=payment.reference,
        recorded_by=by[:100],
        created_at=utcnow(),
    )
    invoice.amount_paid, invoice.status = effect.amount_paid, effect.status
    # Every payment makes a new version of the invoice (its event carries it), even one kept wholly as credit.
    flag_modified(invoice, "amount_paid")
    session.add(recorded)
    session.flush()
    book(
        session,
        entry_row(
            member_id=invoice.member_id,
            kind=LedgerKind.SEPA_COLLECTED if payment.method == PaymentMethod.SEPA_DEBIT else LedgerKind.PAYMENT,
            booked_on=payment.received_on,
            amount=-payment.amount,
            applied=effect.applied,
            settles_invoice_id=invoice.id,
            payment_id=recorded.id,
            label=f"{METHOD_LABELS[payment.method]} : facture {invoice.number}",
            by=by,
        ),
    )
    if adjust_debits:
        fit_pending_debits(session, invoice, reason=AFTER_PAYMENT, creditor=creditor)
    EVENTS.record(
        session,
        EventType.BILLING_INVOICE_PAID,
        subject=invoice.id,
        member_id=invoice.member_id,
        data=paid_event(invoice, recorded),
    )
    _mail_receipt(session, invoice, recorded)
    return recorded


def _mail_receipt(session: Session, invoice: Invoice, payment: Payment) -> None:
    """The member's receipt, sent only if the payment commits."""
    to = billing_address(
        session.get(BillingCustomer, invoice.member_id),
        log=log,
        missing="payment recorded without a billing e-mail to confirm it",
        payment_id=payment.id,
    )
    if to is None:
        return
    received = ReceivedPayment(
        payment_id=payment.id,
        method=payment.method,
        amount=payment.amount,
        applied=payment.applied_amount,
        received_on=payment.received_on,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        amount_due=invoice.amount_due,
    )
    queue_mail(session, mail_outbox, payment_mail(received, to=to, public_url=public_url_of(session)))


def start_card_payment(portal: Portal, invoice_id: str, *, member_id: str, by: str) -> CardPayment:
    """Record an attempt for what remains due on the company's invoice (the provider's page is then linked).
    Raises LookupError or CardPaymentRefused."""
    if not card_enabled(portal):
        raise CardPaymentRefused("Le paiement par carte n'est pas disponible pour le moment.")
    with portal.uow() as tx:
        invoice = tx.session.scalars(
            select(Invoice).where(Invoice.id == invoice_id, Invoice.member_id == member_id)
        ).first()
        if invoice is None:
            raise LookupError(invoice_id)
        if (
            invoice.kind == InvoiceKind.CREDIT_NOTE
            or invoice.status == InvoiceStatus.PAID
            or invoice.amount_due <= ZERO
        ):
            raise CardPaymentRefused(f"La facture {invoice.number} n'a plus de montant à régler.")
        if invoice.status == InvoiceStatus.LITIGATION:
            raise CardPaymentRefused(f"La facture {invoice.number} est en contentieux : contactez le service.")
        # A SEPA debit in flight will take its part at its date: the card pays only the rest, never twice.
        payable = invoice.amount_due - debits_in_flight_in(tx.session, [invoice.id]).get(invoice.id, ZERO)
        if payable <= ZERO:
            raise CardPaymentRefused(
                f"La facture {invoice.number} est en cours de prélèvement : rien d'autre n'est à régler."
            )
        attempt = CardPayment(
            id=str(uuid.uuid4()),
            reference=new_reference(uuid.uuid4().hex),
            invoice_id=invoice.id,
            member_id=member_id,
            amount=payable,
            status=CardPaymentStatus.PENDING,
            requested_by=by[:100],
            created_at=utcnow(),
        )
        tx.session.add(attempt)
        tx.commit()
        return attempt


def apply_notification(portal: Portal, notification: Notification) -> CardPayment:
    """Settle the invoice of a paid attempt (or close a refused one), once.

    Unknown references and replays raise NotificationRejected and change nothing; an amount above what is
    due is kept as the company's credit (apply_payment), never lost.
    """
    with portal.uow() as tx:
        # The attempt's row lock makes two deliveries of one notification queue up: the second sees it settled.
        attempt = tx.session.scalars(
            select(CardPayment).where(CardPayment.reference == notification.reference).with_for_update()
        ).first()
        if attempt is None:
            raise NotificationRejected("unknown reference")
        if attempt.status != CardPaymentStatus.PENDING:
            raise NotificationRejected("replayed notification")
        if (
            tx.session.scalar(select(CardPayment.id).where(CardPayment.transaction_id == notification.transaction_id))
            is not None
        ):
            raise NotificationRejected("transaction already used")
        attempt.notified_at, attempt.transaction_id = utcnow(), notification.transaction_id
        if not notification.paid:
            attempt.status = CardPaymentStatus.REFUSED
            tx.commit()
            return attempt
        invoice = tx.session.scalars(select(Invoice).where(Invoice.id == attempt.invoice_id).with_for_update()).one()
        payment = apply_payment(
            tx.session,
            invoice,
            PaymentInput(
                method=PaymentMethod.CARD,
                amount=notification.amount,
                received_on=today(),
                reference=f"CB {notification.transaction_id}"[:100],
            ),
            by=PROVIDER,
            creditor=NoticeCreditor.from_settings(portal.settings),
        )
        attempt.status, attempt.payment_id = CardPaymentStatus.SETTLED, payment.id
        tx.commit()
        return attempt
