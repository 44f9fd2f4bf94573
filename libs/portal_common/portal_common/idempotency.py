"""Safe retries for API clients: `Idempotency-Key` on the POSTs of the public API (docs/architecture.md,
"Concurrency and retries").

A client that timed out sends the same POST again with the same key: it gets the first answer (status, JSON body,
`Location` and `ETag`) instead of a second effect, marked `Idempotent-Replayed: true`. Keys belong to whoever
sends them (an API token, else the user) and the company acted for, and are kept 24 hours. The same key with
another method, path or body is refused (422); a key whose first request is still running answers 409.

A service opts in by declaring the table in its models (`idempotency_table(Base.metadata)`) and migrating it:
the factory wires the hooks when the table is there. Only answers below 500 are kept; a failure frees the key.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta
from typing import Any

from flask import Flask, Response, g, jsonify, request
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
TABLE = "idempotency_key"
KEEP_FOR = timedelta(hours=24)
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII without spaces: UUIDs, ULIDs, hashes
KEPT_HEADERS = ("Location", "ETag")
# A JSON answer larger than this is not kept: a retry runs again and meets the route's own conflict rules.
MAX_KEPT_BODY = 256 * 1024

INVALID_KEY = "L'en-tête Idempotency-Key doit compter de 1 à 255 caractères imprimables, sans espace."
REUSED_KEY = (
    "Cette clé d'idempotence a déjà servi pour une autre requête (autre adresse ou autre contenu) : "
    "utilisez une nouvelle clé pour une nouvelle requête."
)
IN_PROGRESS = "Une requête avec cette clé d'idempotence est encore en cours : réessayez dans un instant."


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


def _owner() -> str | None:
    principal = current_principal()
    if principal is None:
        return None
    who = principal.session_ref if principal.session_ref.startswith("token:") else f"user:{principal.user_id}"
    return f"{who}|{principal.member_id or ''}"[:200]


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode(), request.get_data(cache=True)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _refused(status: int, reason: str, message: str) -> Response:
    response = jsonify(
        error_body(status, "Conflict" if status == 409 else "Unprocessable Entity", message, reason=reason)
    )
    response.status_code = status
    return response


def _replay(row: Any) -> Response:
    response = Response(row.body or b"", status=row.status, content_type=row.content_type or "application/json")
    for name, value in (row.headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def init_idempotency(app: Flask, table: Table) -> None:
    """Wires the hooks on the app's API POSTs (called by the factory when the service has the table)."""
    engine = app.extensions["portal"].db.engine

    @app.before_request
    def _claim_key() -> Response | None:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return None
        if not KEY_RE.match(key):
            return _refused(400, "idempotency_key_invalid", INVALID_KEY)
        owner = _owner()
        if owner is None:  # a public call: nobody to keep the answer for
            return None
        fingerprint, now = _fingerprint(), utcnow()
        this = and_(table.c.owner == owner, table.c.key == key)
        with engine.begin() as conn:
            conn.execute(delete(table).where(this, table.c.created_at < now - KEEP_FOR))
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
        if row is None:  # the first request failed and freed the key meanwhile: this one may run it again
            return _refused(409, "idempotency_key_in_progress", IN_PROGRESS)
        if row.fingerprint != fingerprint:
            return _refused(422, "idempotency_key_reused", REUSED_KEY)
        if row.status is None:
            return _refused(409, "idempotency_key_in_progress", IN_PROGRESS)
        return _replay(row)

    @app.after_request
    def _keep_answer(response: Response) -> Response:
        claim = g.pop("idempotency_claim", None)
        if claim is None:
            return response
        owner, key = claim
        where = and_(table.c.owner == owner, table.c.key == key, table.c.status.is_(None))
        body = None if response.is_streamed else response.get_data()
        with engine.begin() as conn:
            if response.status_code >= 500 or body is None or len(body) > MAX_KEPT_BODY:
                conn.execute(delete(table).where(where))  # nothing kept: the key is free for a retry
            else:
                headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
                conn.execute(
                    update(table)
                    .where(where)
                    .values(
                        status=response.status_code,
                        content_type=response.content_type,
                        body=body,
                        headers=headers,
                    )
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
