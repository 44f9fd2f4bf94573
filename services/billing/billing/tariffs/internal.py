"""Routes other services call directly (never routed by the gateway): members shows the SEPA discount on the
page where a company opts into direct debit."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify

from portal_common.access import SERVICE
from portal_common.clock import today

from .queries import sepa_discount_preview

internal = Blueprint("billing_tariffs_internal", __name__)


@internal.get("/internal/members/<string:member_id>/sepa-discount")
@SERVICE
def sepa_discount(member_id: str):
    """The discount rate and what it takes off the company's next instalment (billing's rule); 404 without a
    tariff. Reads only; amounts as strings (exact cents)."""
    preview = sepa_discount_preview(member_id, today())
    if preview is None:
        abort(404)
    return jsonify(preview)
