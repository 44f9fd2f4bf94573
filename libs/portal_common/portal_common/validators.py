"""Shared identifier checks (docs/domain.md §7): NIR, SIREN, SIRET, VAT number, IBAN, member number."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

_NIR_RE = re.compile(r"^[12378][0-9]{2}[0-9]{2}(?:[0-9]{2}|2A|2B)[0-9]{3}[0-9]{3}[0-9]{2}$")


def compact(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def nir_key(first13: str) -> int:
    """97 − (N mod 97), with Corsica's 2A → 19 and 2B → 18 substituted first."""
    digits = first13.upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(digits) % 97


def is_valid_nir(value: str) -> bool:
    nir = compact(value)
    if not _NIR_RE.match(nir):
        return False
    return nir_key(nir[:13]) == int(nir[13:])


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def is_valid_siren(value: str) -> bool:
    siren = compact(value)
    return len(siren) == 9 and siren.isdigit() and luhn_ok(siren)


# La Poste's establishments share one SIREN and are too many for the NIC's Luhn key: they are checked by a digit
# sum multiple of 5 instead, every one of them, as the service's users asked (docs/domain.md §7 says why the
# head office's Luhn-valid SIRET is refused too).
LA_POSTE_SIREN = "356000000"


def is_valid_siret(value: str) -> bool:
    """A SIREN with its own Luhn key, then Luhn over the 14 digits, or La Poste's digit-sum rule."""
    siret = compact(value)
    if len(siret) != 14 or not siret.isdigit() or not is_valid_siren(siret[:9]):
        return False
    if siret.startswith(LA_POSTE_SIREN):
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


def siren_of(siret: str) -> str:
    return compact(siret)[:9]


def vat_number_for(siren: str) -> str:
    """The French intra-community VAT number derived from a SIREN (numeric key)."""
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def is_valid_iban(value: str) -> bool:
    iban = compact(value)
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def is_valid_member_number(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{7}", value or ""))


# A NIR as people type it (spaces, dots or dashes between characters, Corsica's 2A/2B): 13 characters or more.
_NIR_TOKEN = r"(?:2[\s.\-]*[AB]|[0-9])"
NIR_RUN_RE = re.compile(rf"{_NIR_TOKEN}(?:[\s.\-]*{_NIR_TOKEN}){{11,}}", re.IGNORECASE)
NIR_RUN_MIN = 13  # the NIR without its key; longer runs count too (never put in a URL either)


def nir_in(text: str | None) -> str | None:
    """The NIR-like run of a text (13 characters or more), compacted; None when there is none."""
    for found in NIR_RUN_RE.finditer(text or ""):
        run = compact(found.group())
        if len(run) >= NIR_RUN_MIN:
            return run
    return None


def without_nir_query(path: str) -> str:
    """`path` without its query string when that carries a NIR-like value: it must not travel further in a URL
    (the `next` of a login redirect, then the address bar and the logs)."""
    base, separator, query = path.partition("?")
    return base if separator and nir_in(unquote_plus(query)) else path
