"""A service's answer to the accounting firm's portfolio batch read (`portal_common.portfolio`), as a blueprint:
every service but identity serves the same route, only its columns differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, jsonify, request

from ..access import SERVICE
from ..portfolio import PORTFOLIO_PATH, client_ids

Columns = Callable[[list[str]], dict[str, dict[str, Any]]]


def columns_blueprint(service: str, columns: Columns) -> Blueprint:
    """`POST /internal/portfolio` for `service` (identity asks, never the gateway): `columns(member_ids)` gives
    the service's columns of each client company it knows, read in one batch."""
    internal = Blueprint(f"{service}_portfolio_internal", __name__)

    @internal.post(PORTFOLIO_PATH)
    @SERVICE
    def portfolio_columns() -> Any:
        member_ids = client_ids(request.get_json(silent=True))
        if member_ids is None:
            abort(400)
        return jsonify({"rows": columns(member_ids)})

    return internal
