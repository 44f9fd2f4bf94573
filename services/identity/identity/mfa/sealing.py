"""Keeping second factors secret at rest: TOTP secrets sealed to their account, recovery codes as keyed hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.exceptions import InvalidTag

from portal_common.sealing import derive_key
from portal_common.sealing import seal as seal_bytes
from portal_common.sealing import unseal as unseal_bytes


def _sealing_key(internal_key: str) -> bytes:
    return derive_key(internal_key, "identity|totp-secret|v1")


def seal(internal_key: str, user_id: str, secret: str) -> str:
    """AES-256-GCM, bound to the account: a sealed secret copied onto another row does not open."""
    return base64.urlsafe_b64encode(
        seal_bytes(_sealing_key(internal_key), secret.encode(), f"totp|{user_id}".encode())
    ).decode()


def unseal(internal_key: str, user_id: str, sealed: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return unseal_bytes(_sealing_key(internal_key), raw, f"totp|{user_id}".encode()).decode()
    except (InvalidTag, ValueError):
        return None


def recovery_hash(internal_key: str, user_id: str, code: str) -> str:
    # Keyed: 49 bits are too few for a plain hash to resist an offline search after a database leak.
    return hmac.new(internal_key.encode(), f"recovery-code|{user_id}|{code}".encode(), hashlib.sha256).hexdigest()
