"""Re-sealing every NIR at rest with the current key of WORKFORCE_NIR_ENCRYPTION_KEY (`python -m workforce.keys
rotate`): the employees' NIRs and the staged import files (which hold NIRs too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from portal_common.keyring import Rotation
from portal_common.service import Portal

from ...models import Employee, EmployeeImport
from ..nir_vault import NirVaultError

ROTATION_BATCH = 500


def rotate_nir_keys(portal: Portal, *, batch_size: int = ROTATION_BATCH) -> Rotation:
    """One transaction per batch (keyset paging on the id). Each value is replaced only if it is still the one read
    (compare-and-set: an edit meanwhile wins) and without a new version (the NIR itself is unchanged, so nothing is
    published). A value no key opens is counted and kept. A second run changes nothing."""
    vault = portal.settings.nir_vault
    employees = _rotate(
        portal,
        batch_size,
        Employee,
        Employee.nir_encrypted,
        needs_rotation=vault.needs_rotation,
        reseal=lambda stored, row_id: vault.encrypt(vault.decrypt(stored, row_id), row_id),
    )
    staged = _rotate(
        portal,
        batch_size,
        EmployeeImport,
        EmployeeImport.content_sealed,
        needs_rotation=vault.sealed_needs_rotation,
        reseal=lambda stored, row_id: vault.seal(vault.unseal(stored, row_id), row_id),
    )
    return employees + staged


def _rotate(
    portal: Portal,
    batch_size: int,
    model: Any,
    column: Any,
    *,
    needs_rotation: Callable[[Any], bool],
    reseal: Callable[[Any, str], Any],
) -> Rotation:
    """Every sealed value of `column`, batch by batch, re-sealed with the current key where it needs it."""
    total = Rotation()
    after = ""
    while True:
        with portal.uow() as tx:
            batch = tx.session.execute(
                select(model.id, column)
                .where(model.id > after, column.is_not(None))
                .order_by(model.id)
                .limit(batch_size)
            ).all()
            if not batch:
                return total
            rotated = unreadable = 0
            for row_id, stored in batch:
                if not needs_rotation(stored):
                    continue
                try:
                    fresh = reseal(stored, row_id)
                except NirVaultError:
                    unreadable += 1
                    continue
                # Compare-and-set: a value changed since it was read is left to its writer.
                tx.session.execute(
                    update(model)
                    .where(model.id == row_id, column == stored)
                    .values({column: fresh})
                    .execution_options(synchronize_session=False)
                )
                rotated += 1
            tx.commit()
        total += Rotation(len(batch), rotated, unreadable)
        after = batch[-1][0]
