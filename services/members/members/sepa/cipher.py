"""AES-256-GCM encryption of sensitive fields (the IBAN, the n° télédéclarant), with a key id in front for rotation.

Stored values are `<key id>:<standard base64 of nonce+ciphertext>`; the keys come from a `portal_common.keyring`
setting (MEMBERS_IBAN_KEYS). The key once derived from the internal key (id `d1`) stays in the ring, read-only,
so that values sealed before the ring was set still open until `python -m members.keys rotate` re-seals them;
with no ring set it is the only key (docs/decisions/0024-keys-by-purpose.md).
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portal_common.keyring import KeyRing, parse_key_ring, with_legacy
from portal_common.sealing import seal, unseal

DERIVED_KEY_ID = "d1"


class FieldCipher:
    """Encrypts with the current key, decrypts with whichever key id the value names."""

    def __init__(self, keys: dict[str, bytes], current: str):
        if current not in keys:
            raise ValueError("the current key must be in the ring")
        # KeyRing checks the ids and the AES-256 key lengths (KeyRingError is a ValueError); current first.
        self._ring = KeyRing({current: keys[current], **keys})

    @classmethod
    def of(cls, ring: KeyRing) -> FieldCipher:
        return cls(ring.keys, ring.current_id)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        sealed = seal(self._ring.current, plaintext.encode(), context.encode())
        return f"{self._ring.current_id}:{base64.b64encode(sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        key_id, _, payload = token.partition(":")
        key = self._ring.key(key_id)
        if key is None:
            raise KeyError(key_id)
        return unseal(key, base64.b64decode(payload), context.encode()).decode()

    @property
    def current_id(self) -> str:
        return self._ring.current_id

    def needs_rotation(self, token: str) -> bool:
        return token.partition(":")[0] != self._ring.current_id


def cipher_from_settings(raw_keys: str, internal_key: str) -> FieldCipher:
    """The ring of MEMBERS_IBAN_KEYS (`kid:base64key,…`, the first encrypts) plus the key derived from the
    internal key as a read-only entry; that derived key alone when the setting is empty."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal members iban v1").derive(
        internal_key.encode()
    )
    configured = parse_key_ring(raw_keys) if raw_keys.strip() else None
    return FieldCipher.of(with_legacy(configured, KeyRing({DERIVED_KEY_ID: derived})))
