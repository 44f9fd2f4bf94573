"""Who accepts an optional e-mail, asked of identity (POST /internal/mail-recipients) before it is queued."""

from __future__ import annotations

import logging

import requests

from portal_common.http import new_session, service_headers
from portal_common.service import Portal

log = logging.getLogger(__name__)
_session = new_session()

CHANGE_REQUESTS = "change_requests"  # identity's preferences.rules.MailTopic


def mail_recipients(portal: Portal, user_ids: list[str], topic: str) -> dict[str, str]:
    """user id -> e-mail of those who accept `topic`. Identity answered the gateway's session check of this very
    request a moment ago; if it cannot answer now, the e-mail is not sent (it is optional news: the decision and its
    reason stay on the member's pages) and the log says so."""
    url = f"{portal.settings.service_urls['identity'].rstrip('/')}/internal/mail-recipients"
    try:
        answer = _session.post(
            url, json={"topic": topic, "user_ids": user_ids}, headers=service_headers(portal.settings.passport_signer)
        )
        answer.raise_for_status()
        found = answer.json().get("recipients")
    except (requests.RequestException, ValueError, AttributeError) as exc:
        log.warning("identity mail recipients unavailable, e-mail not sent", extra={"error": type(exc).__name__})
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str) and "@" in v}
