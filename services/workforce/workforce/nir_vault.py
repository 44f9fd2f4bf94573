"""The NIR at rest: AES-256-GCM with a key id for rotation, and a keyed hash (blind index) to find duplicates.

Stored form: `<key id>:<base64url(nonce 12 bytes + ciphertext + tag)>`; the employee id is bound as
associated data, so a ciphertext copied onto another employee's row does not decrypt.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re

from cryptography.exceptions import InvalidTag

from portal_common.sealing import seal, unseal
from portal_common.validators import compact

KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
NONCE_BYTES = 12


class NirVaultError(ValueError):
    """A key setting that cannot be used, or a stored value that does not decrypt (never shows the value)."""


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise NirVaultError("not base64") from None


def parse_encryption_keys(raw: str) -> dict[str, bytes]:
    """`id:base64key[,id:base64key…]`, 32-byte keys; the first one encrypts, all of them decrypt."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in raw.split(",")):
        key_id, sep, encoded = item.partition(":")
        if not sep or not KEY_ID_RE.match(key_id):
            raise ValueError("expected key-id:base64-key, separated by commas")
        try:
            key = _unb64(encoded)
        except NirVaultError:
            raise ValueError(f"key {key_id} is not base64") from None
        if len(key) != 32:
            raise ValueError(f"key {key_id} must be 32 bytes (AES-256)")
        if key_id in keys:
            raise ValueError(f"key id {key_id} appears twice")
        keys[key_id] = key
    return keys


def new_encryption_key(key_id: str = "k1") -> str:
    """A setting value with a fresh random key (for local runs and tests)."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"


class NirVault:
    def __init__(self, encryption_keys: dict[str, bytes], hash_key: str):
        if not encryption_keys:
            raise NirVaultError("no NIR encryption key")
        self._keys = encryption_keys
        self._current = next(iter(encryption_keys))
        self._hash_key = hash_key.encode()

    def encrypt(self, nir: str, employee_id: str) -> str:
        sealed = seal(self._keys[self._current], compact(nir).encode(), employee_id.encode())
        return f"{self._current}:{base64.urlsafe_b64encode(sealed).decode().rstrip('=')}"

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

    def blind_index(self, nir: str) -> str:
        """A keyed hash: finds the same person twice without keeping the number (no dictionary attack)."""
        return hmac.new(self._hash_key, f"nir|{compact(nir)}".encode(), hashlib.sha256).hexdigest()
