"""Keeping second factors secret at rest: TOTP secrets sealed to their account, recovery codes as keyed hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.exceptions import InvalidTag

from portal_common.keyring import KeyRing
from portal_common.sealing import seal as seal_bytes
from portal_common.sealing import unseal as unseal_bytes

# Values sealed before the TOTP ring existed carry no key id: they were sealed with the ring's legacy key.
LEGACY_KEY_ID = "d1"


def seal(ring: KeyRing, user_id: str, secret: str) -> str:
    """`<key id>:<base64url>`, AES-256-GCM bound to the account: a sealed secret copied onto another row does not
    open."""
    sealed = seal_bytes(ring.current, secret.encode(), f"totp|{user_id}".encode())
    return f"{ring.current_id}:{base64.urlsafe_b64encode(sealed).decode()}"


def key_id_of(sealed: str) -> str:
    key_id, sep, _ = sealed.rpartition(":")
    return key_id if sep else LEGACY_KEY_ID


def unseal(ring: KeyRing, user_id: str, sealed: str) -> str | None:
    key = ring.key(key_id_of(sealed))
    if key is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed.rpartition(":")[2].encode())
        return unseal_bytes(key, raw, f"totp|{user_id}".encode()).decode()
    except (InvalidTag, ValueError):
        return None


def needs_rotation(ring: KeyRing, sealed: str) -> bool:
    return key_id_of(sealed) != ring.current_id


def recovery_hash(internal_key: str, user_id: str, code: str) -> str:
    # Keyed: 49 bits are too few for a plain hash to resist an offline search after a database leak.
    return hmac.new(internal_key.encode(), f"recovery-code|{user_id}|{code}".encode(), hashlib.sha256).hexdigest()
