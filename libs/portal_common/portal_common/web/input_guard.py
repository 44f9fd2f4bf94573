"""Refuse NUL characters in any input: PostgreSQL text cannot hold them (a 500 otherwise)."""
from __future__ import annotations

from flask import Flask, abort, request

NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")


def init_input_guard(app: Flask) -> None:
    @app.before_request
    def _refuse_nul() -> None:
        raw = request.query_string.lower() + request.path.encode("utf-8", "surrogateescape")
        if request.content_length and request.content_length <= app.config.get("MAX_CONTENT_LENGTH", 1 << 24):
            if request.mimetype in {"application/json", "application/x-www-form-urlencoded"}:
                raw += request.get_data(cache=True).lower()
        if any(marker in raw for marker in NUL_MARKERS):
            abort(400, description="NUL characters are not accepted.")
