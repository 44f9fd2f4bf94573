"""The companies a user is linked to, asked of identity (GET /internal/users/<id>/member-links)."""

from __future__ import annotations

import logging
from typing import Any

import requests

from portal_common.http import new_session, service_headers
from portal_common.service import Portal

log = logging.getLogger(__name__)
_session = new_session()


def member_links(portal: Portal, user_id: str) -> list[dict[str, Any]] | None:
    """[{member_id, kind, roles}], or None when identity cannot answer (the page says so, nothing breaks)."""
    url = f"{portal.settings.service_urls['identity'].rstrip('/')}/internal/users/{user_id}/member-links"
    try:
        answer = _session.get(url, headers=service_headers(portal.settings.passport_signer))
        answer.raise_for_status()
        links = answer.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("identity member links unavailable", extra={"error": type(exc).__name__})
        return None
    return [link for link in links if isinstance(link, dict) and isinstance(link.get("member_id"), str)]
