"""Setting a year's tariff."""

from __future__ import annotations

from portal_common.clock import utcnow
from portal_common.service import Portal

from ..models import TariffRow
from .rules import StaleTariff, Tariff, check_tariff


def save_tariff(portal: Portal, tariff: Tariff, *, by: str, expected_version: int | None = None) -> Tariff:
    """Create or replace the tariff of a year once it passes the rules (the legal band first of all).
    Raises TariffRejected. `expected_version` is the version the caller read (0: no tariff yet): StaleTariff when
    the year's tariff has another one now, checked under its row lock. Two creations of one year at once: the
    primary key refuses the second (the French 409 of portal_common.web.conflicts)."""
    checked = check_tariff(tariff)
    with portal.uow() as tx:
        row = tx.session.get(TariffRow, checked.year, with_for_update=True)
        current = row.version if row is not None else 0
        if expected_version is not None and current != expected_version:
            raise StaleTariff(current)
        row = row or TariffRow(year=checked.year)
        for name, value in checked.values().items():
            setattr(row, name, value)
        row.updated_at, row.updated_by = utcnow(), by[:100]
        tx.session.add(row)
        tx.commit()
    return checked
