"""The signed identity the gateway forwards to services (the "passport" pattern, docs/security.md AZ-06).

Identity signs it in answer to nginx's auth_request; nginx forwards it in `X-Portal-Identity`
after dropping whatever the client sent. Services verify the signature and the expiry: a header
forged by a client, or replayed a minute later, is worth nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .roles import MEMBER_ROLES, STAFF_ROLES

HEADER = "X-Portal-Identity"
LIFETIME_SECONDS = 60

# Grant identity adds for a few minutes after a re-authentication; services require it before sensitive changes.
STEP_UP_GRANT = "step_up"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, payload: str) -> str:
    return _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())


@dataclass(frozen=True)
class Principal:
    """Who is calling, for which member company, with which roles (from the session)."""

    user_id: str
    display_name: str
    session_ref: str
    member_id: str | None = None
    member_name: str | None = None
    member_number: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    staff_roles: frozenset[str] = field(default_factory=frozenset)
    grants: frozenset[str] = field(default_factory=frozenset)
    member_count: int = 0

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_roles)

    def has_member_role(self, *wanted: str) -> bool:
        """Member roles on the current company; `admin` holds every member role."""
        if self.member_id is None:
            return False
        return "admin" in self.roles or bool(self.roles & set(wanted)) or not wanted

    def to_claims(self) -> dict[str, Any]:
        claims = asdict(self)
        for key in ("roles", "staff_roles", "grants"):
            claims[key] = sorted(claims[key])
        return claims

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        return cls(
            user_id=str(claims["user_id"]),
            display_name=str(claims.get("display_name", "")),
            session_ref=str(claims.get("session_ref", "")),
            member_id=claims.get("member_id"),
            member_name=claims.get("member_name"),
            member_number=claims.get("member_number"),
            roles=frozenset(claims.get("roles", ())) & MEMBER_ROLES,
            staff_roles=frozenset(claims.get("staff_roles", ())) & STAFF_ROLES,
            grants=frozenset(claims.get("grants", ())),
            member_count=int(claims.get("member_count", 0)),
        )


def sign(principal: Principal, key: str, *, now: float | None = None, lifetime: int = LIFETIME_SECONDS) -> str:
    claims = principal.to_claims()
    claims["exp"] = int((now or time.time()) + lifetime)
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload}.{_mac(key, payload)}"


def verify(token: str | None, key: str, *, now: float | None = None) -> Principal | None:
    """The principal carried by a valid, unexpired passport; None for anything else."""
    if not token or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    if not hmac.compare_digest(signature, _mac(key, payload)):
        return None
    try:
        claims = json.loads(_unb64(payload))
        if float(claims["exp"]) < (now or time.time()):
            return None
        return Principal.from_claims(claims)
    except (ValueError, KeyError, TypeError):
        return None
