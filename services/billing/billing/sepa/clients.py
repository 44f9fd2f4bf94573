"""Members' internal route billing calls when it builds a pain.008 file: the mandate's IBAN, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import requests

from portal_common.http import new_session, service_headers


@dataclass(frozen=True)
class MandateDetails:
    """What members answers at batch time (the only moment billing holds an IBAN, in memory)."""

    member_id: str
    mandate_reference: str
    iban: str
    bic: str | None
    signed_on: date


class MembersUnavailable(Exception):
    """Members did not answer: the batch is not built (nothing half-written)."""


def fetch_mandate(settings: Any, member_id: str, *, http: requests.Session | None = None) -> MandateDetails | None:
    """The company's active mandate with its IBAN (`GET /internal/sepa-mandates/<member_id>`, service
    passport), or None when it has none any more."""
    url = f"{settings.service_urls['members'].rstrip('/')}/internal/sepa-mandates/{member_id}"
    try:
        answer = (http or new_session()).get(url, headers=service_headers(settings.passport_signer))
    except requests.RequestException as exc:
        raise MembersUnavailable(type(exc).__name__) from exc
    if answer.status_code == 404:
        return None
    if answer.status_code != 200:
        raise MembersUnavailable(f"HTTP {answer.status_code}")
    body = answer.json()
    return MandateDetails(
        member_id=member_id,
        mandate_reference=body["mandate_reference"],
        iban=body["iban"],
        bic=body.get("bic"),
        signed_on=date.fromisoformat(body["signed_on"]),
    )
