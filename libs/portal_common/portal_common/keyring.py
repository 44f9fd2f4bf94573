"""Key rings: `id:base64key[,id:base64key…]` settings for the AES-256 keys of one purpose.

The first key seals new values; every key of the ring opens values that name its id, so a key is rotated by
putting a new one first and keeping the old one until nothing is sealed with it. Keys are read in standard or
URL-safe base64, padded or not: settings written for either earlier parser keep working.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
KEY_BYTES = 32


class KeyRingError(ValueError):
    """A key setting that cannot be used (never shows the key itself)."""


def decode_base64(text: str) -> bytes:
    """Standard or URL-safe alphabet, with or without padding."""
    cleaned = text.strip().replace("-", "+").replace("_", "/").rstrip("=")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError("not base64") from None


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyRingError("a key ring needs at least one key")
        for key_id, key in self.keys.items():
            if not KEY_ID_RE.match(key_id):
                raise KeyRingError(f"key id {key_id!r}: letters, digits, '-' or '_', 16 at most")
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"key {key_id} must be {KEY_BYTES} bytes (AES-256)")

    @property
    def current_id(self) -> str:
        return next(iter(self.keys))

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


def parse_key_ring(raw: str) -> KeyRing:
    """The ring a setting describes; raises KeyRingError naming what is wrong."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in raw.split(",")):
        key_id, sep, encoded = item.partition(":")
        if not sep or not KEY_ID_RE.match(key_id):
            raise KeyRingError("expected key-id:base64-key, separated by commas")
        try:
            key = decode_base64(encoded)
        except KeyRingError:
            raise KeyRingError(f"key {key_id} is not base64") from None
        if key_id in keys:
            raise KeyRingError(f"key id {key_id} appears twice")
        keys[key_id] = key
    return KeyRing(keys)


def new_key_setting(key_id: str = "k1") -> str:
    """A setting value holding one fresh random key (local runs and tests)."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip('=')}"
