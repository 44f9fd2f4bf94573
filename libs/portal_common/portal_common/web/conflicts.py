"""A write that lost a race the database refereed answers a French 409, never a 500 (docs/architecture.md,
"Concurrency and retries").

Use cases check uniqueness and state before writing; under concurrency the database's unique indexes and
SQLAlchemy's version counter are the last word. When one of those refusals reaches a view, nothing was written
(the unit of work rolled back): the user or client is told to reload, with a stable `reason` on the API.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..api import error_body

log = logging.getLogger(__name__)

DUPLICATE = "Cette information vient d'être enregistrée par une autre demande : rechargez la page pour la voir."
STALE = "Ces informations ont été modifiées entre-temps par quelqu'un d'autre : rechargez la page et recommencez."


def constraint_name(error: IntegrityError) -> str:
    """The violated constraint's name (never the values: PostgreSQL's detail quotes the key, a NIR digest…)."""
    diag = getattr(getattr(error, "orig", None), "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    text = str(getattr(error, "orig", "")).split(":", 1)[0].strip()  # SQLite: "UNIQUE constraint failed"
    return text[:60] or "unknown"


def init_conflicts(app: Flask) -> None:
    def _answer(reason: str, message: str) -> Any:
        from .setup import is_api_request

        if is_api_request():
            return jsonify(error_body(409, "Conflict", message, reason=reason)), 409
        return render_template("portal/error.html", code=409, title="Conflit", text=message), 409

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> Any:
        log.warning("write refused by a database constraint", extra={"constraint": constraint_name(error)})
        return _answer("duplicate", DUPLICATE)

    @app.errorhandler(StaleDataError)
    def _stale(_error: StaleDataError) -> Any:
        log.warning("write refused by a version counter")
        return _answer("stale", STALE)


# --- a stale save of an edit form ------------------------------------------------------------------------------
# An edit form carries the version it was read at (a hidden field); the use case compares it under the row
# lock. When someone saved meanwhile the page comes back with 409: what they saved beside what this user typed
# (kept in the form, with the new version), so saving again is a choice made knowing both.

STALE_FORM = (
    "Ces informations ont été modifiées par quelqu'un d'autre depuis que vous avez ouvert la page : rien n'a été "
    "enregistré. Comparez avec la version actuelle ci-dessous, puis enregistrez à nouveau."
)


def form_version(form: Any) -> int:
    """The version a form was read at; -1 (matches no saved version) when it is missing or not a number."""
    raw = str(form.get("version", "") or "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else -1


def changed_fields(current: dict[str, Any], typed: dict[str, Any], labels: dict[str, str]) -> list[dict[str, str]]:
    """The fields where the saved record differs from what the user typed: label, current value, typed value."""

    def shown(value: Any) -> str:
        return "" if value is None else str(value).strip()

    return [
        {"label": label, "current": shown(current.get(name)) or "—", "typed": shown(typed.get(name)) or "—"}
        for name, label in labels.items()
        if shown(current.get(name)) != shown(typed.get(name))
    ]
