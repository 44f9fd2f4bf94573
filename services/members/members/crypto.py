"""AES-256-GCM encryption of sensitive fields (the IBAN), with a key id in front for rotation."""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portal_common.sealing import seal, unseal

DERIVED_KEY_ID = "d1"


class FieldCipher:
    """Encrypts with the first key, decrypts with whichever key id the value names."""

    def __init__(self, keys: dict[str, bytes], current: str):
        if current not in keys or any(len(k) != 32 for k in keys.values()):
            raise ValueError("AES-256 keys of 32 bytes, the current one among them")
        self._keys = keys
        self._current = current

    def encrypt(self, plaintext: str, *, context: str) -> str:
        sealed = seal(self._keys[self._current], plaintext.encode(), context.encode())
        return f"{self._current}:{base64.b64encode(sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        key_id, _, payload = token.partition(":")
        return unseal(self._keys[key_id], base64.b64decode(payload), context.encode()).decode()


def cipher_from_settings(raw_keys: str, internal_key: str) -> FieldCipher:
    """`kid:base64key,…` from MEMBERS_IBAN_KEYS; without it, a key derived from the internal key."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in raw_keys.split(",")):
        if item:
            key_id, _, encoded = item.partition(":")
            keys[key_id] = base64.b64decode(encoded)
    if keys:
        return FieldCipher(keys, next(iter(keys)))
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"portal members iban v1").derive(internal_key.encode())
    return FieldCipher({DERIVED_KEY_ID: derived}, DERIVED_KEY_ID)
