"""The NIR at rest: AES-256-GCM with a key id for rotation, and a keyed hash (blind index) to find duplicates.

Stored form: `<key id>:<base64url without padding(nonce 12 bytes + ciphertext + tag)>`; the employee id is bound as
associated data, so a ciphertext copied onto another employee's row does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.exceptions import InvalidTag

from portal_common.keyring import KeyRing, KeyRingError, decode_base64
from portal_common.sealing import seal, unseal
from portal_common.validators import compact


class NirVaultError(ValueError):
    """A key ring that cannot be used, or a stored value that does not decrypt (never shows the value)."""


def _unb64(text: str) -> bytes:
    try:
        return decode_base64(text)
    except KeyRingError:
        raise NirVaultError("not base64") from None


def _b64(raw: bytes) -> str:
    """The stored text form: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class NirVault:
    """`encryption_keys` is the WORKFORCE_NIR_ENCRYPTION_KEY ring: its first key seals, every key opens."""

    def __init__(self, encryption_keys: KeyRing, hash_key: str):
        self._keys = encryption_keys.keys
        self._current = encryption_keys.current_id
        self._hash_key = hash_key.encode()

    def encrypt(self, nir: str, employee_id: str) -> str:
        sealed = seal(self._keys[self._current], compact(nir).encode(), employee_id.encode())
        return f"{self._current}:{_b64(sealed)}"

    def decrypt(self, stored: str, employee_id: str) -> str:
        key_id, _, encoded = stored.partition(":")
        key = self._keys.get(key_id)
        if key is None:
            raise NirVaultError(f"unknown NIR key id {key_id!r}")
        raw = _unb64(encoded)
        try:
            return unseal(key, raw, employee_id.encode()).decode()
        except InvalidTag:
            raise NirVaultError("the stored NIR does not decrypt with its key") from None

    def seal(self, data: bytes, context: str) -> bytes:
        """Any bytes holding NIRs (a staged import file): `<key id>:` + nonce + ciphertext, bound to `context`."""
        return self._current.encode() + b":" + seal(self._keys[self._current], data, f"sealed|{context}".encode())

    def unseal(self, stored: bytes, context: str) -> bytes:
        key_id, _, raw = bytes(stored).partition(b":")
        key = self._keys.get(key_id.decode("ascii", "replace"))
        if key is None:
            raise NirVaultError("unknown key id of a sealed value")
        try:
            return unseal(key, raw, f"sealed|{context}".encode())
        except InvalidTag:
            raise NirVaultError("the sealed value does not decrypt with its key") from None

    def needs_rotation(self, stored: str) -> bool:
        return stored.partition(":")[0] != self._current

    def sealed_needs_rotation(self, stored: bytes) -> bool:
        return bytes(stored).partition(b":")[0] != self._current.encode()

    @property
    def current_key_id(self) -> str:
        return self._current

    def blind_index(self, nir: str) -> str:
        """A keyed hash: finds the same person twice without keeping the number (no dictionary attack)."""
        return hmac.new(self._hash_key, f"nir|{compact(nir)}".encode(), hashlib.sha256).hexdigest()
