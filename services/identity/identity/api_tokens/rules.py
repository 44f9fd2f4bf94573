"""API-token rules free of Flask and SQLAlchemy: the token format, the scopes and what each one opens.

A token opens only `/api/` paths of its scopes, on its own company: identity checks the path and the method the
gateway is about to forward (X-Original-URI / X-Original-Method), and the passport carries the member roles the
services' own access rules expect, so both layers agree.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from portal_common.roles import MemberRole

# Recognisable in a leaked-secrets scan or a log line: "spsti_pat_" + 43 URL-safe characters (256 bits).
PREFIX = "spsti_pat_"
TOKEN_PATTERN = re.compile(r"^spsti_pat_[A-Za-z0-9_-]{43}$")
LIFETIME = timedelta(days=365)
MAX_NAME_LENGTH = 100
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALL_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
# The passport grant telling the services a request comes with an API token, not a browser session.
TOKEN_GRANT = "api_token"


@dataclass(frozen=True)
class Scope:
    label: str  # French, for the pages
    prefixes: tuple[str, ...]
    methods: frozenset[str]
    roles: frozenset[str]  # member roles the services check (portal_common.roles.MemberRole)


SCOPES: dict[str, Scope] = {
    "employees:read": Scope(
        "Salariés : lecture", ("/api/workforce/employees",), READ_METHODS, frozenset({MemberRole.READ})
    ),
    "employees:write": Scope(
        "Salariés : lecture et écriture (embauches, changements de poste, sorties, imports de fichiers et de la DSN)",
        ("/api/workforce/employees", "/api/workforce/imports", "/api/workforce/dsn-imports"),
        ALL_METHODS,
        frozenset({MemberRole.DECLARATION}),
    ),
    "declarations:read": Scope(
        "Déclarations annuelles : lecture",
        ("/api/workforce/declarations", "/api/workforce/campaigns"),
        READ_METHODS,
        frozenset({MemberRole.READ}),
    ),
    "declarations:write": Scope(
        "Déclarations annuelles : lecture et dépôt",
        ("/api/workforce/declarations", "/api/workforce/campaigns"),
        ALL_METHODS,
        frozenset({MemberRole.DECLARATION}),
    ),
    "invoices:read": Scope(
        "Factures : lecture", ("/api/billing/invoices",), READ_METHODS, frozenset({MemberRole.READ})
    ),
}
# Any valid token may ask who it is.
ALWAYS_ALLOWED = (("/api/identity/me", READ_METHODS),)


def new_token() -> tuple[str, str]:
    """The token (shown once) and the hint kept to recognise it in the list."""
    token = PREFIX + secrets.token_urlsafe(32)
    return token, token[len(PREFIX) : len(PREFIX) + 6]


def token_hash(token: str) -> str:
    """SHA-256 suffices: the token has 256 random bits, nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header if it has the portal's format, else None."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not TOKEN_PATTERN.match(value):
        return None
    return value


def clean_path(original_uri: str | None) -> str | None:
    """The path a request targets, or None when it is ambiguous (dot segments, encoded slashes, backslashes).

    nginx routes on the normalised path but passes the raw one: a token request must not pass the check with
    `/api/workforce/employees/../../billing/x`.
    """
    path = (original_uri or "").split("?", 1)[0]
    # API paths are plain ASCII ids: any escape, backslash, empty or dot segment is refused outright.
    if not path.startswith("/") or any(c in path for c in "%\\") or "//" in path:
        return None
    if any(segment in {".", ".."} for segment in path.split("/")):
        return None
    return path


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def allows(scopes: frozenset[str], method: str, original_uri: str | None) -> bool:
    """Whether a token with `scopes` may send `method` to this URI (only `/api/` paths, never pages)."""
    path = clean_path(original_uri)
    if path is None or not path.startswith("/api/"):
        return False
    method = (method or "GET").upper()
    for prefix, methods in ALWAYS_ALLOWED:
        if _under(path, prefix) and method in methods:
            return True
    for name in scopes:
        scope = SCOPES.get(name)
        if scope and method in scope.methods and any(_under(path, p) for p in scope.prefixes):
            return True
    return False


def roles_for(scopes: frozenset[str]) -> frozenset[str]:
    roles: set[str] = set()
    for name in scopes:
        if name in SCOPES:
            roles |= SCOPES[name].roles
    return frozenset(roles)


def scope_problem(chosen: list[str]) -> str | None:
    if not chosen:
        return "Choisissez au moins une autorisation."
    if any(name not in SCOPES for name in chosen):
        return "Autorisation inconnue."
    return None


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "Donnez un nom au jeton (exemple : logiciel de paie)."
    if len(name) > MAX_NAME_LENGTH:
        return f"Le nom ne doit pas dépasser {MAX_NAME_LENGTH} caractères."
    return None
