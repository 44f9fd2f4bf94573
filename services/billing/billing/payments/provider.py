"""The card payment provider's HTTP protocol, in plain Python (no Flask, no database).

1. The portal sends the company's browser to the provider's payment page (`GET <provider>/payer?…`) with
   the merchant, a reference of the attempt, the amount in cents, the return and notification URLs, all
   signed with HMAC-SHA256 under the key the service shares with the provider.
2. The provider posts its result to the notification URL, server to server, as a signed form:
   merchant, reference, transaction id, status ("paid" or "refused"), amount in cents, time.
3. The portal trusts only that notification, once its signature is checked; the browser's return to the
   portal proves nothing.

The signature is the lowercase hex HMAC-SHA256 of the fields sorted by name, as `name=value` lines
joined by "\\n" (the `signature` field itself excluded).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from ..invoices.rules import CENT

SIGNATURE = "signature"
PAID, REFUSED = "paid", "refused"
REQUEST_FIELDS = ("merchant_id", "reference", "amount", "currency", "return_url", "notify_url")
NOTIFICATION_FIELDS = ("merchant_id", "reference", "transaction_id", "status", "amount", "currency", "paid_at")
_REFERENCE = re.compile(r"^CB[0-9A-F]{20}$")
_TRANSACTION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CENTS = re.compile(r"^[1-9][0-9]{0,11}$")


class NotificationRejected(Exception):
    """A notification the portal must not act on; `reason` is safe to log (never the form's values)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def canonical(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{name}={fields[name]}" for name in sorted(fields) if name != SIGNATURE).encode()


def sign(fields: dict[str, str], key: str) -> str:
    return hmac.new(key.encode(), canonical(fields), hashlib.sha256).hexdigest()


def signature_matches(fields: dict[str, str], key: str) -> bool:
    sent = fields.get(SIGNATURE, "")
    return bool(key) and hmac.compare_digest(sent.encode(), sign(fields, key).encode())


def to_cents(amount: Decimal) -> str:
    return str(int(amount.quantize(CENT) * 100))


def from_cents(cents: str) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)


def new_reference(raw_hex: str) -> str:
    """CB + 20 hex digits (from a random uuid): what the provider echoes back, not a secret."""
    return "CB" + raw_hex.upper()[:20]


@dataclass(frozen=True)
class PaymentRequest:
    merchant_id: str
    reference: str
    amount: Decimal
    return_url: str
    notify_url: str
    currency: str = "EUR"

    def fields(self) -> dict[str, str]:
        return {
            "merchant_id": self.merchant_id,
            "reference": self.reference,
            "amount": to_cents(self.amount),
            "currency": self.currency,
            "return_url": self.return_url,
            "notify_url": self.notify_url,
        }

    def redirect_url(self, provider_url: str, key: str) -> str:
        """The provider's payment page with the signed request in its query string."""
        fields = self.fields()
        fields[SIGNATURE] = sign(fields, key)
        return f"{provider_url.rstrip('/')}/payer?{urlencode(fields)}"


@dataclass(frozen=True)
class Notification:
    reference: str
    transaction_id: str
    status: str
    amount: Decimal
    paid_at: str

    @property
    def paid(self) -> bool:
        return self.status == PAID


def read_notification(form: dict[str, str], *, key: str, merchant_id: str) -> Notification:
    """Check a posted notification: signed by the provider with our key, for our merchant, well formed."""
    if not key:
        raise NotificationRejected("card payment not configured")
    fields = {name: form[name] for name in form if name in (*NOTIFICATION_FIELDS, SIGNATURE)}
    if set(fields) != {*NOTIFICATION_FIELDS, SIGNATURE} or len(form) != len(fields):
        raise NotificationRejected("missing or unexpected fields")
    if not signature_matches(fields, key):
        raise NotificationRejected("bad signature")
    if fields["merchant_id"] != merchant_id:
        raise NotificationRejected("another merchant")
    if not (
        _REFERENCE.match(fields["reference"])
        and _TRANSACTION.match(fields["transaction_id"])
        and fields["status"] in (PAID, REFUSED)
        and _CENTS.match(fields["amount"])
        and fields["currency"] == "EUR"
        and len(fields["paid_at"]) <= 40
    ):
        raise NotificationRejected("malformed fields")
    return Notification(
        reference=fields["reference"],
        transaction_id=fields["transaction_id"],
        status=fields["status"],
        amount=from_cents(fields["amount"]),
        paid_at=fields["paid_at"],
    )
