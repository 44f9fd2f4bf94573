"""Re-sealing every NIR at rest with the current key of WORKFORCE_NIR_ENCRYPTION_KEY (`python -m workforce.keys
rotate`): the employees' NIRs and the staged import files (which hold NIRs too)."""

from __future__ import annotations

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
    return _rotate_employees(portal, batch_size) + _rotate_staged_imports(portal, batch_size)


def _rotate_employees(portal: Portal, batch_size: int) -> Rotation:
    vault = portal.settings.nir_vault
    total = Rotation()
    after = ""
    while True:
        with portal.uow() as tx:
            batch = tx.session.execute(
                select(Employee.id, Employee.nir_encrypted)
                .where(Employee.id > after, Employee.nir_encrypted.is_not(None))
                .order_by(Employee.id)
                .limit(batch_size)
            ).all()
            if not batch:
                return total
            rotated = unreadable = 0
            for employee_id, stored in batch:
                if not vault.needs_rotation(stored):
                    continue
                try:
                    nir = vault.decrypt(stored, employee_id)
                except NirVaultError:
                    unreadable += 1
                    continue
                _compare_and_set(
                    tx.session, Employee, employee_id, Employee.nir_encrypted, stored, vault.encrypt(nir, employee_id)
                )
                rotated += 1
            tx.commit()
        total += Rotation(len(batch), rotated, unreadable)
        after = batch[-1][0]


def _rotate_staged_imports(portal: Portal, batch_size: int) -> Rotation:
    vault = portal.settings.nir_vault
    total = Rotation()
    after = ""
    while True:
        with portal.uow() as tx:
            batch = tx.session.execute(
                select(EmployeeImport.id, EmployeeImport.content_sealed)
                .where(EmployeeImport.id > after)
                .order_by(EmployeeImport.id)
                .limit(batch_size)
            ).all()
            if not batch:
                return total
            rotated = unreadable = 0
            for import_id, stored in batch:
                if not vault.sealed_needs_rotation(stored):
                    continue
                try:
                    content = vault.unseal(stored, import_id)
                except NirVaultError:
                    unreadable += 1
                    continue
                column = EmployeeImport.content_sealed
                _compare_and_set(tx.session, EmployeeImport, import_id, column, stored, vault.seal(content, import_id))
                rotated += 1
            tx.commit()
        total += Rotation(len(batch), rotated, unreadable)
        after = batch[-1][0]


def _compare_and_set(session: Any, model: Any, row_id: str, column: Any, old: Any, new: Any) -> None:
    session.execute(
        update(model)
        .where(model.id == row_id, column == old)
        .values({column: new})
        .execution_options(synchronize_session=False)
    )
