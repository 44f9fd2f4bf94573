"""Safe retries: `Idempotency-Key` on the POSTs of the public API, one-time form tokens on the pages
(docs/architecture.md, "Concurrency and retries").

A client that timed out sends the same POST again with the same key: it gets the first answer (status, body,
`Location` and `ETag`) instead of a second effect, marked `Idempotent-Replayed: true`. Keys belong to whoever
sends them (an API token, else the user) and the company acted for, and are kept 24 hours. The same key with
another method, path or body is refused (422); a key whose first request is still running answers 409.

Pages get the same through a one-time form token: the shared `csrf()` form macro also writes a random
`form_token` field, and a form posted twice (a double click, a reload) gets the first answer instead of a second
effect; while the first one still runs, the second waits for it a few seconds. A public form (first account, a
sign-in code, a forgotten password) has no session to key it to: its token alone is its key — random, written
into one rendered page, so only whoever holds that page can send it (an answer that sets a cookie, a sign-in,
is never kept, as below).

A service opts in by declaring the table in its models (`idempotency_table(Base.metadata)`) and migrating it:
the page layer wires the hooks when the table is there, after the access, input and CSRF checks (a refused
request never claims a key). Only answers below 500 are kept; a failure frees the key. Two kinds of answer are
never kept, since storing them would store a secret: one the view marked `Cache-Control: no-store` (a new API
token, recovery codes, a NIR shown in clear) and one that sets a cookie (a new session). Their key is freed, so a
second submission runs again and gets its own answer (a form posted twice at once waits for the first, then runs).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from datetime import timedelta
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from .access import current_principal
from .api import error_body
from .clock import utcnow
from .db import UTCDateTime

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
FORM_FIELD = "form_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PUBLIC_FORMS = "public"  # the owner of a public form's token (no session to key it to)
TABLE = "idempotency_key"
KEEP_FOR = timedelta(hours=24)
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII without spaces: UUIDs, ULIDs, hashes
KEPT_HEADERS = ("Location", "ETag")
# An answer larger than this is not kept: a retry runs again and meets the route's own conflict rules.
MAX_KEPT_BODY = 256 * 1024
# How long a form posted twice waits for its first submission before saying it is still running.
FORM_WAIT_SECONDS = 5.0

INVALID_KEY = "L'en-tête Idempotency-Key doit compter de 1 à 255 caractères imprimables, sans espace."
REUSED_KEY = (
    "Cette clé d'idempotence a déjà servi pour une autre requête (autre adresse ou autre contenu) : "
    "utilisez une nouvelle clé pour une nouvelle requête."
)
IN_PROGRESS = "Une requête avec cette clé d'idempotence est encore en cours : réessayez dans un instant."
FORM_REUSED = "Ce formulaire a déjà été envoyé avec d'autres valeurs : rechargez la page pour en envoyer un nouveau."
FORM_IN_PROGRESS = "Votre premier envoi de ce formulaire est encore en cours : rechargez la page dans un instant."


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        TABLE,
        metadata,
        Column("owner", String(200), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        # NULL while the first request runs.
        Column("status", Integer, nullable=True),
        Column("content_type", String(100), nullable=True),
        Column("body", LargeBinary, nullable=True),
        Column("headers", JSON, nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Index("ix_idempotency_key_created_at", "created_at"),
    )


def form_token() -> str:
    """A fresh one-time token for a form (the `csrf()` macro writes it beside the CSRF token)."""
    return secrets.token_urlsafe(18)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _key() -> str | None:
    """The API's Idempotency-Key header, or a page form's one-time token (prefixed: never taken for a header)."""
    if request.method != "POST":
        return None
    if _is_api():
        return request.headers.get(HEADER)
    token = request.form.get(FORM_FIELD) if request.mimetype in FORM_TYPES else None
    return f"form:{token}" if token else None


def _owner() -> str | None:
    principal = current_principal()
    if principal is None:
        return None
    who = principal.session_ref if principal.session_ref.startswith("token:") else f"user:{principal.user_id}"
    return f"{who}|{principal.member_id or ''}"[:200]


def _submitted() -> list[bytes]:
    """What the request carries: its raw body, or (a form, already parsed by the CSRF check) its fields and files."""
    if request.mimetype not in FORM_TYPES:
        return [request.get_data(cache=True)]
    parts = [f"{name}={value}".encode() for name, value in sorted(request.form.items(multi=True))]
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        content = upload.stream.read()
        upload.stream.seek(0)
        parts.append(f"{name}:{upload.filename}:".encode() + hashlib.sha256(content).digest())
    return parts


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode(), *_submitted()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _refused(status: int, reason: str, api_message: str, page_message: str) -> Response:
    if not _is_api():
        title = "Conflit" if status == 409 else "Formulaire déjà envoyé"
        return Response(render_template("portal/error.html", code=status, title=title, text=page_message), status)
    name = "Conflict" if status == 409 else "Bad Request" if status == 400 else "Unprocessable Entity"
    response = jsonify(error_body(status, name, api_message, reason=reason))
    response.status_code = status
    return response


def _not_kept(response: Response) -> bool:
    """An answer holding a secret (marked no-store by its view, or setting a cookie) never goes into the table."""
    return "no-store" in (response.headers.get("Cache-Control") or "") or "Set-Cookie" in response.headers


def _replay(row: Any) -> Response:
    response = Response(row.body or b"", status=row.status, content_type=row.content_type or "application/json")
    for name, value in (row.headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def init_idempotency(app: Flask, table: Table) -> None:
    """Wires the hooks on the app's POSTs that carry a key (API header or form token)."""
    engine = app.extensions["portal"].db.engine
    app.jinja_env.globals["form_token"] = form_token

    def _settled(this: Any) -> Any:
        """A form's first submission still running: its row once answered, None if freed, still unanswered after
        the wait."""
        deadline, row = time.monotonic() + FORM_WAIT_SECONDS, None
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with engine.connect() as conn:
                row = conn.execute(select(table).where(this)).first()
            if row is None or row.status is not None:
                return row
        return row

    @app.before_request
    def _claim_key() -> Response | None:
        key = _key()
        if key is None:
            return None
        if not KEY_RE.match(key):
            return _refused(400, "idempotency_key_invalid", INVALID_KEY, INVALID_KEY)
        owner = _owner()
        if owner is None:
            if _is_api():  # a public API call: nobody to keep the answer for
                return None
            owner = PUBLIC_FORMS
        fingerprint, now = _fingerprint(), utcnow()
        this = and_(table.c.owner == owner, table.c.key == key)
        with engine.begin() as conn:
            conn.execute(delete(table).where(this, table.c.created_at < now - KEEP_FOR))
        # A form may claim twice: its first submission freed the key (a failure, or an answer not kept) while the
        # second waited, which then runs as the first would have.
        for _attempt in range(1 if _is_api() else 2):
            try:
                # The primary key decides between simultaneous first uses of a key; committed at once, so the other
                # requests with the key see it taken.
                with engine.begin() as conn:
                    conn.execute(insert(table).values(owner=owner, key=key, fingerprint=fingerprint, created_at=now))
            except IntegrityError:
                with engine.connect() as conn:
                    row = conn.execute(select(table).where(this)).first()
            else:
                g.idempotency_claim = (owner, key)
                return None
            if row is not None and row.fingerprint != fingerprint:
                return _refused(422, "idempotency_key_reused", REUSED_KEY, FORM_REUSED)
            if row is not None and row.status is None and not _is_api():
                row = _settled(this)  # a double click: the first answer is worth waiting for
                if row is None:
                    continue
            if row is None or row.status is None:  # still running, or failed and freed meanwhile
                return _refused(409, "idempotency_key_in_progress", IN_PROGRESS, FORM_IN_PROGRESS)
            return _replay(row)
        return _refused(409, "idempotency_key_in_progress", IN_PROGRESS, FORM_IN_PROGRESS)

    @app.after_request
    def _keep_answer(response: Response) -> Response:
        claim = g.pop("idempotency_claim", None)
        if claim is None:
            return response
        owner, key = claim
        where = and_(table.c.owner == owner, table.c.key == key, table.c.status.is_(None))
        body = None if response.is_streamed else response.get_data()
        with engine.begin() as conn:
            if response.status_code >= 500 or body is None or len(body) > MAX_KEPT_BODY or _not_kept(response):
                conn.execute(delete(table).where(where))  # nothing kept: the key is free for a retry
            else:
                headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
                conn.execute(
                    update(table)
                    .where(where)
                    .values(status=response.status_code, content_type=response.content_type, body=body, headers=headers)
                )
        return response

    @app.teardown_request
    def _free_key(_exc: BaseException | None) -> None:
        # Reached with the claim still held only when no answer was made (an error escaped every handler).
        claim = g.pop("idempotency_claim", None)
        if claim is None:
            return
        owner, key = claim
        try:
            with engine.begin() as conn:
                conn.execute(delete(table).where(table.c.owner == owner, table.c.key == key, table.c.status.is_(None)))
        except Exception:  # the key then waits for its 24 hours; the request's own error is what matters
            log.warning("idempotency key left claimed after a failure")


def init_idempotency_if_declared(app: Flask) -> None:
    """A service whose metadata declares the table gets Idempotency-Key on its API POSTs and one-time form
    tokens on its pages."""
    table = app.extensions["portal"].outbox.table.metadata.tables.get(TABLE)
    if table is not None:
        init_idempotency(app, table)
