"""Reading tariffs: for pages and the API (request-bound session), and for billing in a transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.service import portal

from ..models import TariffRow
from .rules import Tariff, legal_band


def tariff_of(row: TariffRow) -> Tariff:
    return Tariff(**{name: getattr(row, name) for name in Tariff.__dataclass_fields__})


def tariff_for(session: Session, year: int) -> Tariff | None:
    """The tariff of `year` as the caller's transaction sees it (billing uses it), None when not set."""
    row = session.get(TariffRow, year)
    return tariff_of(row) if row is not None else None


def list_tariffs() -> list[TariffRow]:
    return list(portal().db.session.scalars(select(TariffRow).order_by(TariffRow.year.desc())))


def get_tariff(year: int) -> TariffRow | None:
    return portal().db.session.get(TariffRow, year)


def tariff_as_dict(row: TariffRow) -> dict:
    low, high = legal_band(row.national_average_cost)
    shown = {name: getattr(row, name) for name in Tariff.__dataclass_fields__}
    return {
        **shown,
        "legal_band_min": low,
        "legal_band_max": high,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }
