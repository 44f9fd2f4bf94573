"""How employees are named, filed and found by name: accent-free search text, the list's initial, the shown name."""

from __future__ import annotations

import re
import unicodedata

from .codes import Sex

LETTER_RE = re.compile(r"^[A-Z#]$")
# Ligatures that Unicode decomposition leaves alone but French names use.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def fold(text: str | None) -> str:
    """Lower case without accents, for accent-insensitive search ('Élodie' → 'elodie')."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_LIGATURES))
    # Marks go (accents), and so do control characters: PostgreSQL text cannot hold a NUL byte.
    kept = "".join(
        c for c in decomposed if not unicodedata.combining(c) and not unicodedata.category(c).startswith("C")
    )
    return " ".join(kept.lower().split())


def search_text(last_name: str, birth_name: str, first_names: str) -> str:
    return " ".join(dict.fromkeys(fold(part) for part in (last_name, birth_name, first_names) if part))


def initial_of(last_name: str) -> str:
    """The letter an employee is filed under in the list ('Éric' under E); '#' when no letter."""
    for char in fold(last_name):
        if "a" <= char <= "z":
            return char.upper()
    return "#"


def display_name(last_name: str, birth_name: str, sex: str) -> str:
    """'DUPONT née MARTIN' when the birth name differs from the name in use."""
    if birth_name and birth_name != last_name:
        return f"{last_name} {'née' if sex == Sex.F else 'né'} {birth_name}"
    return last_name
