"""The signed identity the gateway forwards to services (the "passport" pattern, docs/security.md AZ-06).

Identity signs it in answer to nginx's auth_request; nginx forwards it in `X-Portal-Identity`
after dropping whatever the client sent. Services verify the signature and the expiry: a header
forged by a client, or replayed a minute later, is worth nothing.

Signatures are Ed25519 (docs/decisions/0024-keys-by-purpose.md). A token is `<signer>.<claims>.<signature>`:
identity alone signs user passports, and a service signs only its own `service:<name>` passport, each with its
own private key. Every process holds only the public keys (PORTAL_PASSPORT_PUBLIC_KEYS), so a compromised
service cannot forge a user's passport nor speak for another service.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from .roles import MEMBER_ROLES, STAFF_ROLES

HEADER = "X-Portal-Identity"
LIFETIME_SECONDS = 60

# Grant identity adds for a few minutes after a re-authentication; services require it before sensitive changes.
STEP_UP_GRANT = "step_up"

# The only signer of user passports; any other signer may only sign `service:<its name>`.
USER_SIGNER = "identity"
SERVICE_PREFIX = "service:"
SIGNER_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
KEY_BYTES = 32


class PassportKeyError(ValueError):
    """A passport key setting that cannot be used (never shows a private key)."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_bytes(text: str, what: str) -> bytes:
    """Standard or URL-safe base64 of the 32 raw key bytes, padded or not."""
    cleaned = text.strip().replace("-", "+").replace("_", "/").rstrip("=")
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise PassportKeyError(f"{what} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise PassportKeyError(f"{what} must be {KEY_BYTES} bytes (raw Ed25519 key)")
    return raw


@dataclass(frozen=True)
class PublicKeys:
    """The Ed25519 public keys of each signer; several per signer while one of its keys is being rotated."""

    by_signer: Mapping[str, tuple[Ed25519PublicKey, ...]]

    def of(self, signer: str) -> tuple[Ed25519PublicKey, ...]:
        return self.by_signer.get(signer, ())


@lru_cache(maxsize=16)
def parse_public_keys(raw: str) -> PublicKeys:
    """`identity:base64,members:base64,…` (a name may appear twice during a rotation). Cached: settings are read
    once per process, and tests build many apps from the same value."""
    found: dict[str, list[Ed25519PublicKey]] = {}
    for item in (part.strip() for part in raw.split(",") if part.strip()):
        name, sep, encoded = item.partition(":")
        if not sep or not SIGNER_RE.match(name):
            raise PassportKeyError("expected name:base64-public-key, separated by commas")
        found.setdefault(name, []).append(Ed25519PublicKey.from_public_bytes(_key_bytes(encoded, f"key of {name}")))
    if USER_SIGNER not in found:
        raise PassportKeyError(f"the public key of {USER_SIGNER} is missing")
    return PublicKeys({name: tuple(keys) for name, keys in found.items()})


@lru_cache(maxsize=16)
def parse_signing_key(raw: str) -> Ed25519PrivateKey:
    """Base64 of the 32-byte Ed25519 private key (the seed)."""
    return Ed25519PrivateKey.from_private_bytes(_key_bytes(raw, "the signing key"))


def new_signing_key() -> str:
    """A fresh private key setting (local runs, tests, operators: `python -m portal_common.passport`)."""
    raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()


def public_key_of(signing_key: str) -> str:
    """The public key setting matching a private key setting."""
    raw = parse_signing_key(signing_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def may_sign_for(signer: str, user_id: str) -> bool:
    """Identity signs for users (and for itself); any other signer only for `service:<its own name>`."""
    if user_id.startswith(SERVICE_PREFIX):
        return user_id == SERVICE_PREFIX + signer
    return signer == USER_SIGNER


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


@dataclass(frozen=True)
class Signer:
    """One process's own passport key: `name` is its service, the only identity it may sign for."""

    name: str
    key: Ed25519PrivateKey

    def sign(self, principal: Principal, *, now: float | None = None, lifetime: int = LIFETIME_SECONDS) -> str:
        if not may_sign_for(self.name, principal.user_id):
            raise PassportKeyError(f"{self.name} may not sign a passport for this principal")
        claims = principal.to_claims()
        claims["exp"] = int((now or time.time()) + lifetime)
        payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
        signed = f"{self.name}.{payload}"
        return f"{signed}.{_b64(self.key.sign(signed.encode()))}"


def verify(token: str | None, keys: PublicKeys, *, now: float | None = None) -> Principal | None:
    """The principal carried by a valid, unexpired passport whose signer may speak for it; None otherwise."""
    if not token or token.count(".") != 2:
        return None
    signer, payload, signature = token.split(".")
    candidates = keys.of(signer)
    if not candidates:
        return None
    signed = f"{signer}.{payload}".encode()
    try:
        raw_signature = _unb64(signature)
    except (ValueError, binascii.Error):
        return None
    for public_key in candidates:
        try:
            public_key.verify(raw_signature, signed)
            break
        except InvalidSignature:
            continue
    else:
        return None
    try:
        claims = json.loads(_unb64(payload))
        if float(claims["exp"]) < (now or time.time()):
            return None
        principal = Principal.from_claims(claims)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    return principal if may_sign_for(signer, principal.user_id) else None


def main() -> None:
    """Print a new key pair: the private key for one process, the public one for everybody's list."""
    private = new_signing_key()
    print(f"private key (<SERVICE>_PASSPORT_SIGNING_KEY of one service only): {private}")
    print(f"public key (<service>:<key> in everybody's PORTAL_PASSPORT_PUBLIC_KEYS): {public_key_of(private)}")


if __name__ == "__main__":
    main()
