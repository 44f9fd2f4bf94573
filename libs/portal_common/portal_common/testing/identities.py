"""Coherent identities for tests: a NIR that agrees with the sex, birth date and birthplace typed beside it, as
the hire form and API require (workforce refuses a NIR that contradicts them)."""

from __future__ import annotations

from datetime import date

from ..validators import nir_key

MULHOUSE = "68224"  # the demo centre's commune: the default birthplace


def nir_for(sex: str, birth_date: date, birthplace: str = MULHOUSE, order: int = 1) -> str:
    """The 15-character NIR of someone of `sex` ('M' or 'F') born on `birth_date` in `birthplace`: the INSEE code
    of a commune ('68224', '2A004', '97411') or of a foreign country ('99350', Morocco). `order` (1 to 999, the
    birth's number in the commune's register that month) tells apart people born in the same place and month."""
    if sex not in ("M", "F") or not 1 <= order <= 999 or len(birthplace) != 5:
        raise ValueError("nir_for: sex M or F, order 1 to 999, a 5-character INSEE code")
    first13 = (
        f"{1 if sex == 'M' else 2}{birth_date.year % 100:02d}{birth_date.month:02d}{birthplace.upper()}{order:03d}"
    )
    return f"{first13}{nir_key(first13):02d}"


def identity(sex: str, birth_date: date, birthplace: str = MULHOUSE, order: int = 1) -> dict[str, str | None]:
    """The civil-status fields of a hire (form and API names) with a NIR that agrees with them; a birthplace
    99xxx is a country of birth, anything else a commune."""
    abroad = birthplace.startswith("99")
    return {
        "sex": sex,
        "birth_date": birth_date.isoformat(),
        "nir": nir_for(sex, birth_date, birthplace, order),
        "birth_commune": None if abroad else birthplace,
        "birth_country": birthplace if abroad else None,
    }
