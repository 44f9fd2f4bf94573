"""Re-sealing the kept bank files (pain.008 and pain.001) with the current key of BILLING_BANK_FILE_KEYS, so an
old key can leave the ring (docs/security.md KEY-02)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from portal_common.keyring import Rotation
from portal_common.service import Portal

from ...models import RefundBatch, SepaBatch
from ..bank_files import DEBITS, REFUNDS, BankFileUnreadable, SealedFile, bank_file_ring, open_file, seal_file


def rotate_bank_files(portal: Portal) -> Rotation:
    """Every kept file sealed with another key than the ring's current one is opened and sealed again with it.

    Compare-and-set on the key id (a file re-sealed meanwhile by another run is left as it is); a file no key
    opens is counted and kept. A second run changes nothing."""
    ring = bank_file_ring(portal.settings.bank_file_keys, portal.settings.internal_key)
    result = Rotation()
    with portal.uow() as tx:
        tables: tuple[tuple[Any, str], ...] = ((SepaBatch, DEBITS), (RefundBatch, REFUNDS))
        for model, kind in tables:
            rows = tx.session.execute(
                select(model.id, model.document_key_id, model.document).where(model.document.is_not(None))
            ).all()
            for batch_id, key_id, document in rows:
                result += Rotation(checked=1)
                if key_id == ring.current_id:
                    continue
                try:
                    clear = open_file(ring, SealedFile(key_id, bytes(document)), batch_id=batch_id, kind=kind)
                except BankFileUnreadable:
                    result += Rotation(unreadable=1)
                    continue
                kept = seal_file(ring, clear, batch_id=batch_id, kind=kind)
                tx.session.execute(
                    update(model)
                    .where(model.id == batch_id, model.document_key_id == key_id)
                    .values(document=kept.sealed, document_key_id=kept.key_id)
                    .execution_options(synchronize_session=False)
                )
                result += Rotation(rotated=1)
        tx.commit()
    return result
