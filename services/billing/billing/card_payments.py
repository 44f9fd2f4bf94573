"""Use cases of card payment: start an attempt, then apply the provider's signed notification (and only that)."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from portal_common.clock import utcnow
from portal_common.service import Portal

from .domain import CREDIT_NOTE, PAID, ZERO
from .models import CardPayment, Invoice
from .payment_provider import Notification, NotificationRejected, PaymentRequest, new_reference
from .payments import PaymentInput
from .services import apply_payment, today

log = logging.getLogger(__name__)

PENDING, SETTLED, REFUSED = "en_attente", "payee", "refusee"
STATUS_LABELS = {PENDING: "En attente de confirmation", SETTLED: "Paiement reçu", REFUSED: "Paiement refusé"}
NOTIFY_PATH = "/paiement-carte/notification"
PROVIDER = "prestataire-carte"


class CardPaymentRefused(Exception):
    """The company cannot pay this invoice by card now; the message is French, for the page."""


def card_enabled(portal: Portal) -> bool:
    return bool(portal.settings.card_signing_key)


def notify_url(portal: Portal) -> str:
    settings = portal.settings
    return settings.card_notify_url or f"{settings.public_url.rstrip('/')}{NOTIFY_PATH}"


def provider_url(portal: Portal, attempt: CardPayment) -> str:
    """The provider's payment page for an attempt, with the signed request (same fields every time)."""
    settings = portal.settings
    back = f"{settings.public_url.rstrip('/')}/factures/{attempt.invoice_id}/paiement-carte/{attempt.reference}"
    request = PaymentRequest(merchant_id=settings.card_merchant_id, reference=attempt.reference,
                             amount=attempt.amount, return_url=back, notify_url=notify_url(portal))
    return request.redirect_url(settings.card_provider_url, settings.card_signing_key)


def start_card_payment(portal: Portal, invoice_id: str, *, member_id: str, by: str) -> CardPayment:
    """Record an attempt for what remains due on the company's invoice (the provider's page is then linked)."""
    if not card_enabled(portal):
        raise CardPaymentRefused("Le paiement par carte n'est pas disponible pour le moment.")
    with portal.uow() as tx:
        invoice = tx.session.scalars(select(Invoice).where(Invoice.id == invoice_id,
                                                           Invoice.member_id == member_id)).first()
        if invoice is None:
            raise LookupError(invoice_id)
        if invoice.kind == CREDIT_NOTE or invoice.status == PAID or invoice.amount_due <= ZERO:
            raise CardPaymentRefused(f"La facture {invoice.number} n'a plus de montant à régler.")
        if invoice.status == "contentieux":
            raise CardPaymentRefused(f"La facture {invoice.number} est en contentieux : contactez le service.")
        attempt = CardPayment(id=str(uuid.uuid4()), reference=new_reference(uuid.uuid4().hex), invoice_id=invoice.id,
                              member_id=member_id, amount=invoice.amount_due, status=PENDING, requested_by=by[:100],
                              created_at=utcnow())
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
        attempt = tx.session.scalars(select(CardPayment).where(CardPayment.reference == notification.reference)
                                     .with_for_update()).first()
        if attempt is None:
            raise NotificationRejected("unknown reference")
        if attempt.status != PENDING:
            raise NotificationRejected("replayed notification")
        if tx.session.scalar(select(CardPayment.id).where(
                CardPayment.transaction_id == notification.transaction_id)) is not None:
            raise NotificationRejected("transaction already used")
        attempt.notified_at, attempt.transaction_id = utcnow(), notification.transaction_id
        if not notification.paid:
            attempt.status = REFUSED
            tx.commit()
            return attempt
        invoice = tx.session.scalars(select(Invoice).where(Invoice.id == attempt.invoice_id).with_for_update()).one()
        payment = apply_payment(tx.session, invoice, PaymentInput(
            method="carte", amount=notification.amount, received_on=today(),
            reference=f"CB {notification.transaction_id}"[:100]), by=PROVIDER)
        attempt.status, attempt.payment_id = SETTLED, payment.id
        tx.commit()
        return attempt
