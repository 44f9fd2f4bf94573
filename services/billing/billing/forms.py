"""Reading French number input from page forms: "1 234,56" euros and "1,5" per cent."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

HUNDRED = Decimal(100)


def french_decimal(raw: str | None) -> Decimal | None:
    """None when empty or not a number; a comma or a dot as the decimal mark, spaces ignored."""
    text = (raw or "").replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text or len(text) > 20:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def percent_as_rate(raw: str | None) -> Decimal | None:
    value = french_decimal(raw)
    return None if value is None else value / HUNDRED


def rate_as_percent(rate: Decimal | None) -> str:
    """0.0150 → "1,5" for a form field."""
    if rate is None:
        return ""
    text = f"{(rate * HUNDRED).normalize():f}"
    return text.replace(".", ",")


def amount_text(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:.2f}".replace(".", ",")
