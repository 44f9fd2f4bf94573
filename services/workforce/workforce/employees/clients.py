"""Scheduling, asked for one page of the employee list which visit each employee last had and when the next one
is due (POST /internal/members/<id>/employee-visits: scheduling owns the visit rules, so the dates are its own;
one request per page, never one per employee)."""

from __future__ import annotations

import logging
from datetime import date, datetime

import requests

from portal_common.clock import PARIS
from portal_common.http import new_session, service_headers
from portal_common.service import Portal

log = logging.getLogger(__name__)
_session = new_session()
TIMEOUT = (1.0, 3.0)  # the list never waits long for its two columns


def _day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(PARIS).date() if "T" in value else date.fromisoformat(value)
    except ValueError:
        return None


def visit_dates(
    portal: Portal, member_id: str, employee_ids: list[str]
) -> dict[str, tuple[date | None, date | None]] | None:
    """`{employee_id: (last visit, next visit due)}`, or None when scheduling cannot answer (the list says so)."""
    if not employee_ids:
        return {}
    url = f"{portal.settings.service_urls['scheduling'].rstrip('/')}/internal/members/{member_id}/employee-visits"
    try:
        answer = _session.post(
            url,
            json={"employee_ids": employee_ids},
            headers=service_headers(portal.settings.passport_signer),
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        found = answer.json()["employees"]
        return {
            employee_id: (
                _day(found.get(employee_id, {}).get("last_visit_at")),
                _day(found.get(employee_id, {}).get("next_due_on")),
            )
            for employee_id in employee_ids
        }
    except (requests.RequestException, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("employee visit dates unavailable", extra={"error": type(exc).__name__})
        return None
