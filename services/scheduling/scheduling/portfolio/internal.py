"""The accounting firm's portfolio: scheduling's columns for the firm's client companies, one batch read
(portal_common.portfolio; identity asks, never the gateway)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from portal_common.access import SERVICE
from portal_common.portfolio import PORTFOLIO_PATH, client_ids

from . import queries

internal = Blueprint("scheduling_portfolio_internal", __name__)


@internal.post(PORTFOLIO_PATH)
@SERVICE
def portfolio_columns():
    member_ids = client_ids(request.get_json(silent=True))
    if member_ids is None:
        abort(400)
    return jsonify({"rows": queries.portfolio_columns(member_ids)})
