"""Workforce asks, for one page of its employee list, each employee's last visit and next visit due (one batch
read per page; never routed by the gateway)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from portal_common.access import SERVICE

from .queries import visit_dates

internal = Blueprint("scheduling_employee_visits_internal", __name__)

MAX_EMPLOYEES = 500  # a page of the list is 50


@internal.post("/internal/members/<string:member_id>/employee-visits")
@SERVICE
def employee_visits(member_id: str):
    body = request.get_json(silent=True)
    ids = body.get("employee_ids") if isinstance(body, dict) else None
    if (
        not isinstance(ids, list)
        or len(ids) > MAX_EMPLOYEES
        or not all(isinstance(i, str) and len(i) <= 36 for i in ids)
    ):
        abort(400)
    return jsonify({"employees": visit_dates(member_id[:36], ids)})
