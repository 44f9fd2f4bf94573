"""The input boundary of every service: each field, query parameter, JSON value, upload name and read header is
checked by `portal_common.input_rules` before any handler runs, and text is handed on in NFC.

A refusal is a 400 naming the field in French: flask-smorest's error format on the API, the error page on pages.
A multi-line field (tab and newline allowed) is declared beside its route with `@accepts(multiline=…)`; a few
form fields are multi-line wherever they appear (`MULTILINE_FIELDS`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from ..api import error_body
from ..input_rules import InputRefused, check_text, clean_json, load_json

F = TypeVar("F", bound=Callable[..., Any])

ACCEPTS_ATTRIBUTE = "__portal_accepts__"
# Text areas of the portal's forms: a comment, a reason, constraints of a visit request.
MULTILINE_FIELDS = frozenset({"comment", "reason", "constraints", "message"})
HEADERS_READ = ("User-Agent", "Referer", "X-Request-Id", "X-Correlation-Id", "If-Match", "If-None-Match")
MAX_HEADER_LENGTH = 2000
MAX_NAME_LENGTH = 255


def accepts(*, multiline: tuple[str, ...] = (), unlimited: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Declares, beside a route, its multi-line fields and the fields with no length ceiling (a file in base64)."""

    def mark(view: F) -> F:
        setattr(view, ACCEPTS_ATTRIBUTE, (frozenset(multiline), frozenset(unlimited)))
        return view

    return mark


def _declared(app: Flask) -> tuple[frozenset[str], frozenset[str]]:
    view = app.view_functions.get(request.endpoint or "")
    if view is None:
        return frozenset(), frozenset()
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, request.method.lower(), None) if view_class is not None else view
    found = getattr(handler, ACCEPTS_ATTRIBUTE, None) or getattr(view_class, ACCEPTS_ATTRIBUTE, None)
    return found or (frozenset(), frozenset())


def _multidict(
    values: MultiDict[str, str], location: str, multiline: frozenset[str], unlimited: frozenset[str]
) -> ImmutableMultiDict[str, str] | None:
    """The same fields in NFC, None when nothing changed; InputRefused on the first bad one."""
    cleaned: list[tuple[str, str]] = []
    changed = False
    for key, value in values.items(multi=True):
        name = check_text(f"{location}", key, max_length=200)
        text = check_text(name, value, multiline=name in multiline, max_length=None if name in unlimited else 10_000)
        changed = changed or name != key or text != value
        cleaned.append((name, text))
    return ImmutableMultiDict(cleaned) if changed else None


def _check_request(app: Flask) -> tuple[str, InputRefused] | None:
    multiline, unlimited = _declared(app)
    multiline = multiline | MULTILINE_FIELDS
    try:
        check_text("adresse", request.path, max_length=2000)
    except InputRefused as refused:
        return "path", refused
    for header in HEADERS_READ:
        value = request.headers.get(header)
        if value is not None:
            try:
                check_text(header, value, max_length=MAX_HEADER_LENGTH)
            except InputRefused as refused:
                return "headers", refused
    try:
        args = _multidict(request.args, "paramètre", frozenset(), unlimited)
    except InputRefused as refused:
        return "query", refused
    if args is not None:
        request.args = args
    if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        try:
            form = _multidict(request.form, "champ", multiline, unlimited)
            for field, upload in request.files.items(multi=True):
                if upload.filename:
                    check_text(field, upload.filename, max_length=MAX_NAME_LENGTH)
        except InputRefused as refused:
            return "form", refused
        if form is not None:
            request.form = form
    if request.is_json and request.content_length:
        raw = request.get_data(cache=True)
        try:
            body = load_json(raw)
        except json.JSONDecodeError:
            return None  # not JSON at all: the handler's parser answers as it always did
        except (ValueError, RecursionError):
            return "json", InputRefused(
                "corps", "n'est pas accepté : imbrication trop profonde ou nombre hors limites."
            )
        try:
            cleaned = clean_json(body, multiline=multiline, unlimited=unlimited)
        except InputRefused as refused:
            return "json", refused
        if cleaned != body:
            request._cached_data = json.dumps(cleaned, ensure_ascii=False).encode()
            request._cached_json = (cleaned, cleaned)
    return None


def _refusal(location: str, refused: InputRefused) -> tuple[Response, int] | tuple[str, int]:
    if request.path.startswith(("/api/", "/internal/")):
        return jsonify(
            error_body(400, "Bad Request", refused.sentence, {location: {refused.field: [refused.sentence]}})
        ), 400
    return render_template("portal/error.html", code=400, title="Saisie refusée", text=refused.sentence), 400


def init_input_guard(app: Flask) -> None:
    @app.before_request
    def _input_boundary() -> Any:
        found = _check_request(app)
        if found is not None:
            app.logger.info("input refused at the boundary", extra={"location": found[0], "field": found[1].field[:60]})
            return _refusal(*found)
        return None
