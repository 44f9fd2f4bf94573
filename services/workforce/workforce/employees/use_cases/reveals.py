"""A staff user sees one stored NIR in clear, with a reason: the reveal is recorded (never the number) and
counted against the user's daily cap in the same transaction."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import text

from portal_common.clock import today, utcnow
from portal_common.service import Portal

from ...models import Employee, NirReveal
from ..queries import nir_reveals_on
from ..rules.reveals import NO_STORED_NIR, RevealRefused, check_cap, check_reason

log = logging.getLogger(__name__)


def reveal_nir(portal: Portal, employee_id: str, reason: str, *, user_id: str, user_name: str) -> str:
    """The employee's NIR in clear; RevealRefused (reason, cap, nothing stored) with nothing recorded."""
    kept = check_reason(reason)
    with portal.uow() as tx:
        if portal.db.is_postgres:
            # One user's reveals one after the other: two tabs at the cap cannot both pass the count.
            tx.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"nir_reveal:{user_id}"})
        check_cap(nir_reveals_on(today(), user_id, tx.session), portal.settings.nir_reveals_per_day)
        employee = tx.session.get(Employee, employee_id)
        if employee is None:
            raise LookupError(employee_id)
        if not employee.nir_encrypted:
            raise RevealRefused({"reason": NO_STORED_NIR})
        nir = portal.settings.nir_vault.decrypt(employee.nir_encrypted, employee.id)
        reveal = NirReveal(
            id=str(uuid.uuid4()),
            employee_id=employee.id,
            member_id=employee.member_id,
            revealed_by=user_id[:200],
            revealed_by_name=user_name[:200],
            reason=kept,
            revealed_at=utcnow(),
        )
        tx.session.add(reveal)
        tx.commit()
    # Who and which employee; the reason stays in the table (free text), the number nowhere (DP-02).
    log.info("NIR revealed to staff", extra={"user_id": user_id, "employee_id": employee_id, "reveal_id": reveal.id})
    return nir
