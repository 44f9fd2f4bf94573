"""Billing, asked before a campaign is closed which of the undeclared companies would get a facture d'office
(POST /internal/campaigns/<year>/estimates-preview: billing's own predicate, so the count shown is the count
issued)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests

from portal_common.http import new_session, service_headers
from portal_common.service import Portal

log = logging.getLogger(__name__)
_session = new_session()


@dataclass(frozen=True)
class EstimatesPreview:
    estimated: frozenset[str]  # the companies that would get a facture d'office
    tariff: bool  # billing has the year's tariff (without it, the estimates wait for it)


def estimates_preview(portal: Portal, year: int, member_ids: list[str]) -> EstimatesPreview | None:
    """None when billing cannot answer (the page says so; closing stays possible)."""
    url = f"{portal.settings.service_urls['billing'].rstrip('/')}/internal/campaigns/{year}/estimates-preview"
    try:
        answer = _session.post(
            url, json={"member_ids": member_ids}, headers=service_headers(portal.settings.passport_signer)
        )
        answer.raise_for_status()
        body = answer.json()
        return EstimatesPreview(frozenset(str(m) for m in body["estimated"]), bool(body["tariff"]))
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        log.warning("billing estimates preview unavailable", extra={"error": type(exc).__name__})
        return None
