"""Bank files kept for a second download, sealed at rest: a pain.008 file carries every debtor's IBAN (a pain.001
refund file every payee's), which billing never holds in clear (docs/security.md DP-21, KEY-02).

AES-256-GCM (portal_common.sealing) under the key ring of BILLING_BANK_FILE_KEYS, the batch's id bound as
associated data (a sealed file copied onto another batch does not open). Until the ring is set, a key derived
from the internal key (id `d1`) seals, and it stays in the ring read-only afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.keyring import KeyRing, derived_ring, parse_key_ring, with_legacy
from portal_common.sealing import seal, unseal

DERIVED_KEY_ID = "d1"
PURPOSE = "portal billing bank files v1"


class BankFileUnreadable(Exception):
    """No key of the ring opens the stored file (its key was removed too early)."""


@dataclass(frozen=True)
class SealedFile:
    key_id: str
    sealed: bytes


def bank_file_ring(raw_keys: str, internal_key: str) -> KeyRing:
    """The configured ring (`kid:base64key,…`, the first seals) plus the derived key, read-only."""
    configured = parse_key_ring(raw_keys) if raw_keys.strip() else None
    return with_legacy(configured, derived_ring(internal_key, PURPOSE, DERIVED_KEY_ID))


# What a file is bound to: its kind of batch and the batch's id (a debit file never opens as a refund file).
DEBITS, REFUNDS = "sepa-batch", "refund-batch"


def seal_file(ring: KeyRing, document: bytes, *, batch_id: str, kind: str = DEBITS) -> SealedFile:
    return SealedFile(ring.current_id, seal(ring.current, document, f"{kind}:{batch_id}".encode()))


def open_file(ring: KeyRing, stored: SealedFile, *, batch_id: str, kind: str = DEBITS) -> bytes:
    """The file's bytes as generated; raises BankFileUnreadable when no key of the ring opens it."""
    key = ring.key(stored.key_id)
    if key is None:
        raise BankFileUnreadable(stored.key_id)
    try:
        return unseal(key, stored.sealed, f"{kind}:{batch_id}".encode())
    except Exception as exc:  # cryptography's InvalidTag: wrong key, batch or bytes
        raise BankFileUnreadable(stored.key_id) from exc
