"""AES-256-GCM for values kept secret at rest (IBAN, NIR, TOTP secrets, addresses inside links).

One random 96-bit nonce per value, stored in front of the ciphertext; the caller's context is bound as associated
data, so a sealed value copied onto another row or purpose does not open. Callers keep their own text encoding
and key ids (their stored formats predate this module).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """nonce + ciphertext + tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def unseal(key: bytes, sealed: bytes, context: bytes) -> bytes:
    """The plaintext; raises cryptography's InvalidTag when the key, the context or the bytes are wrong."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from a longer secret (HMAC-SHA256)."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
