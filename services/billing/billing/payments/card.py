"""Card payment settings and links: whether it is on, and the provider's signed payment page of an attempt."""

from __future__ import annotations

from typing import Any

from .provider import PaymentRequest

NOTIFY_PATH = "/paiement-carte/notification"
# Who recorded a card payment: the provider's notification, never a person.
PROVIDER = "prestataire-carte"


class CardPaymentRefused(Exception):
    """The company cannot pay this invoice by card now; the message is French, for the page."""


def card_enabled(portal: Any) -> bool:
    """Card payment is on once the key shared with the provider is set (`portal`: anything with settings)."""
    return bool(portal.settings.card_signing_key)


def notify_url(settings: Any) -> str:
    return settings.card_notify_url or f"{settings.public_url.rstrip('/')}{NOTIFY_PATH}"


def provider_url(settings: Any, attempt: Any) -> str:
    """The provider's payment page for an attempt, with the signed request (same fields every time)."""
    back = f"{settings.public_url.rstrip('/')}/factures/{attempt.invoice_id}/paiement-carte/{attempt.reference}"
    request = PaymentRequest(
        merchant_id=settings.card_merchant_id,
        reference=attempt.reference,
        amount=attempt.amount,
        return_url=back,
        notify_url=notify_url(settings),
    )
    return request.redirect_url(settings.card_provider_url, settings.card_signing_key)
