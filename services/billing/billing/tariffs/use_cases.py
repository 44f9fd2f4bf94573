"""Setting a year's tariff."""

from __future__ import annotations

from portal_common.clock import utcnow
from portal_common.service import Portal

from ..models import TariffRow
from .rules import Tariff, check_tariff


def save_tariff(portal: Portal, tariff: Tariff, *, by: str) -> Tariff:
    """Create or replace the tariff of a year once it passes the rules (the legal band first of all).
    Raises TariffRejected."""
    checked = check_tariff(tariff)
    with portal.uow() as tx:
        row = tx.session.get(TariffRow, checked.year) or TariffRow(year=checked.year)
        for name, value in checked.values().items():
            setattr(row, name, value)
        row.updated_at, row.updated_by = utcnow(), by[:100]
        tx.session.add(row)
        tx.commit()
    return checked
