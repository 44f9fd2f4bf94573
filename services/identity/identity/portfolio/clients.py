"""The portfolio's batch reads: each service's columns for the user's client companies, asked of the four
services at once (one request each, whatever the number of clients; portal_common.portfolio)."""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from portal_common.http import new_session, service_headers
from portal_common.portfolio import PORTFOLIO_PATH
from portal_common.service import Portal

from .rules import SERVICES

log = logging.getLogger(__name__)
_session = new_session()
_pool = ThreadPoolExecutor(max_workers=len(SERVICES), thread_name_prefix="portfolio")
TIMEOUT = (1.0, 4.0)  # a slow service leaves its columns « indisponible », never the page waiting


def _ask(portal: Portal, service: str, member_ids: list[str], headers: dict[str, str]) -> dict[str, Any] | None:
    url = portal.settings.service_urls[service].rstrip("/") + PORTFOLIO_PATH
    try:
        answer = _session.post(url, json={"member_ids": member_ids}, headers=headers, timeout=TIMEOUT)
        answer.raise_for_status()
        rows = answer.json()["rows"]
        return rows if isinstance(rows, dict) else None
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        log.warning("portfolio columns unavailable", extra={"service": service, "error": type(exc).__name__})
        return None


def portfolio_columns(portal: Portal, member_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """`{service: {member_id: columns}}`, None for a service that did not answer in time."""
    if not member_ids:
        return dict.fromkeys(SERVICES, {})
    headers = service_headers(portal.settings.passport_signer)
    # Each call runs in a copy of the request's context, so the request and correlation ids travel with it.
    futures = {
        service: _pool.submit(contextvars.copy_context().run, _ask, portal, service, member_ids, headers)
        for service in SERVICES
    }
    return {service: future.result() for service, future in futures.items()}
