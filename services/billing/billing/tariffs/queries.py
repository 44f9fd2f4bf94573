"""Reading tariffs: for pages and the API (request-bound session), and for billing in a transaction."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.service import portal

from ..invoices.rules import ANNUAL_KINDS, OPEN_STATUSES
from ..models import Instalment, Invoice, TariffRow
from .rules import Tariff, legal_band, sepa_saving


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
        "version": row.version,
    }


def sepa_discount_preview(member_id: str, on: date) -> dict | None:
    """The SEPA discount a company opting in gets: the rate of the year's tariff (the latest one before it when
    the year has none yet) and what it takes off its next open instalment of an annual fee, if any. None
    without any tariff."""
    session = portal().db.session
    row = session.scalars(select(TariffRow).where(TariffRow.year <= on.year).order_by(TariffRow.year.desc())).first()
    if row is None:
        return None
    upcoming = session.execute(
        select(Instalment.due_on, Instalment.amount)
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .where(
            Invoice.member_id == member_id,
            Invoice.kind.in_(ANNUAL_KINDS),
            Invoice.status.in_(OPEN_STATUSES),
            Instalment.due_on >= on,
        )
        .order_by(Instalment.due_on, Instalment.position)
        .limit(1)
    ).first()
    preview: dict = {"year": row.year, "rate": f"{row.sepa_discount_rate:.4f}", "next_instalment": None}
    if upcoming is not None:
        due_on, amount = upcoming
        preview["next_instalment"] = {
            "due_on": due_on.isoformat(),
            "amount": f"{amount:.2f}",
            "saving": f"{sepa_saving(amount, row.sepa_discount_rate):.2f}",
        }
    return preview
