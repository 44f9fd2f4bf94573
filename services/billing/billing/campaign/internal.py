"""Routes other services call directly (never routed by the gateway): workforce asks, before a campaign is
closed, how many factures d'office the closing would issue."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from portal_common.access import SERVICE

from .queries import estimates_preview

internal = Blueprint("billing_campaign_internal", __name__)

MAX_MEMBERS = 100_000  # a body naming more companies than a service has is refused, not walked


@internal.post("/internal/campaigns/<int(min=2000, max=2100):year>/estimates-preview")
@SERVICE
def estimates(year: int):
    """Of the companies named (`{"member_ids": [...]}`), those a closing of the year would estimate now, and
    whether the year has its tariff (without one the closing waits). Reads only."""
    body = request.get_json(silent=True)
    members = body.get("member_ids") if isinstance(body, dict) else None
    if not isinstance(members, list) or len(members) > MAX_MEMBERS or not all(isinstance(m, str) for m in members):
        abort(400)
    return jsonify(estimates_preview(year, members))
