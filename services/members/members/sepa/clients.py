"""Billing's internal route the opt-in page calls: the SEPA discount rate and what it saves, by billing's rule."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import requests

from portal_common.http import new_session, service_headers
from portal_common.service import Portal

log = logging.getLogger(__name__)
_session = new_session()


@dataclass(frozen=True)
class SepaDiscount:
    """What billing answers (GET /internal/members/<id>/sepa-discount)."""

    rate: Decimal  # 0.015 = 1,5 %
    year: int
    next_due_on: date | None = None
    next_amount: Decimal | None = None
    saving: Decimal | None = None

    @property
    def percent(self) -> str:
        """0.015 → "1,5" (French, no useless zeros)."""
        return f"{self.rate * 100:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def sepa_discount(portal: Portal, member_id: str) -> SepaDiscount | None:
    """The discount, or None when billing has no tariff or cannot answer (the page then leaves it out)."""
    url = f"{portal.settings.service_urls['billing'].rstrip('/')}/internal/members/{member_id}/sepa-discount"
    try:
        answer = _session.get(url, headers=service_headers(portal.settings.passport_signer), timeout=3)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        body = answer.json()
        upcoming = body.get("next_instalment")
        return SepaDiscount(
            rate=Decimal(body["rate"]),
            year=int(body["year"]),
            next_due_on=date.fromisoformat(upcoming["due_on"]) if upcoming else None,
            next_amount=Decimal(upcoming["amount"]) if upcoming else None,
            saving=Decimal(upcoming["saving"]) if upcoming else None,
        )
    except (requests.RequestException, ValueError, KeyError, TypeError, ArithmeticError) as exc:
        log.warning("billing sepa discount unavailable", extra={"error": type(exc).__name__})
        return None
