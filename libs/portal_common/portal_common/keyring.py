"""Key rings: `id:base64key[,id:base64key…]` settings for the AES-256 keys of one purpose.

The first key seals new values; every key of the ring opens values that name its id, so a key is rotated by
putting a new one first and keeping the old one until nothing is sealed with it. Keys are read in standard or
URL-safe base64, padded or not: settings written for either earlier parser keep working.

One ring per purpose (CSRF, IBAN, NIR, TOTP secrets, e-mail links: docs/decisions/0024-keys-by-purpose.md). A
purpose whose ring is unset falls back on the key it was derived from the internal key before rings existed;
once its ring is set, that key stays as a read-only entry (`with_legacy`) until the rotation command has
re-sealed every stored value with the ring's current key.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

from .sealing import derive_key

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


def derived_ring(secret: str, purpose: str, key_id: str) -> KeyRing:
    """The one-key ring derived from a longer secret, as every purpose had before it got its own ring."""
    return KeyRing({key_id: derive_key(secret, purpose)})


def with_legacy(ring: KeyRing | None, legacy: KeyRing) -> KeyRing:
    """`ring` opening also what `legacy` sealed (it never seals with it: the ring's first key stays current);
    `legacy` alone when no ring is set. A configured key with a legacy id wins over the legacy key."""
    if ring is None:
        return legacy
    merged = dict(ring.keys)
    for key_id, key in legacy.keys.items():
        merged.setdefault(key_id, key)
    return KeyRing(merged)


@dataclass(frozen=True)
class Rotation:
    """What a ring's rotation command did: values looked at, re-sealed with the current key, and left alone
    because no key of the ring opens them (never deleted: the command says so and the operator decides)."""

    checked: int = 0
    rotated: int = 0
    unreadable: int = 0

    def __add__(self, other: Rotation) -> Rotation:
        return Rotation(self.checked + other.checked, self.rotated + other.rotated, self.unreadable + other.unreadable)

    def summary(self, what: str, key_id: str) -> str:
        """The command's French line, e.g. « Valeurs chiffrées (IBAN) : 12 examinée(s), 3 rechiffrée(s) avec la
        clé k2, 0 illisible(s). »"""
        return (
            f"Valeurs chiffrées ({what}) : {self.checked} examinée(s), {self.rotated} rechiffrée(s) avec la clé "
            f"{key_id}, {self.unreadable} illisible(s)."
        )
