"""French display formats: 22/03/1970, 1 458,22 €, +33 1 23 45 67 89, SIRET 732 829 320 00074."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .clock import PARIS

NARROW_NBSP = "\u202f"  # thousands separator in French typography
NBSP = "\u00a0"


def date_fr(value: date | datetime | str | None) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(PARIS) if value.tzinfo else value
    return value.strftime("%d/%m/%Y")


def datetime_fr(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(PARIS) if value.tzinfo else value
    return local.strftime("%d/%m/%Y à %H:%M")


def time_fr(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(PARIS) if value.tzinfo else value
    return local.strftime("%H:%M")


def number_fr(value: Decimal | int | float | str, places: int = 2) -> str:
    quantum = Decimal(1).scaleb(-places)
    amount = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = NARROW_NBSP.join(groups) or "0"
    return f"{sign}{text},{fraction}" if places else f"{sign}{text}"


def money_fr(value: Decimal | int | str | None) -> str:
    if value is None:
        return ""
    return f"{number_fr(value)}{NBSP}€"


def siret_fr(value: str | None) -> str:
    """A SIRET as the portal shows it: the SIREN by threes, then the NIC (732 829 320 00074); any other text as is."""
    if not value:
        return ""
    digits = "".join(value.split())
    if len(digits) != 14 or not digits.isdigit():
        return value
    return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"


def register_filters(env_filters: dict[str, Any]) -> None:
    env_filters.update(
        date_fr=date_fr,
        datetime_fr=datetime_fr,
        time_fr=time_fr,
        money_fr=money_fr,
        number_fr=number_fr,
        siret_fr=siret_fr,
    )
