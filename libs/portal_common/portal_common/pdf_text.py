"""Text as a PDF can print it: the one helper of every PDF of the portal (invoices, statements, letters, mandates,
convocations). Any stored value — a name in Polish, a lone surrogate or a bidi override stored before the input
boundary existed — comes out printable instead of failing the document.
"""

from __future__ import annotations

import unicodedata

from .input_rules import displayable

# French typography spaces and dashes the core fonts may lack, in their plain form.
_PLAIN = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " ", "\u2011": "-"})
_LATIN1 = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-"}
    | {"€": "EUR", "œ": "oe", "Œ": "OE"}
)
# Letters NFKD does not take apart.
_BASE_LETTERS = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"}


def _fitted(char: str, encoding: str) -> str:
    """`char` if the encoding has it, else its letter without accents (Ł stays ?), else '?'."""
    try:
        char.encode(encoding)
        return char
    except UnicodeEncodeError:
        if char in _BASE_LETTERS:
            return _BASE_LETTERS[char]
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            base.encode(encoding)
            return base or "?"
        except UnicodeEncodeError:
            return "?"


def pdf_text(value: str, encoding: str | None = "windows-1252") -> str:
    """`value` printable with core fonts of `encoding` (windows-1252 or latin-1), or with an embedded Unicode font
    when `encoding` is None (only what no font can draw is removed)."""
    text = unicodedata.normalize("NFC", displayable(value))
    if encoding is None:
        return text
    text = text.translate(_PLAIN)
    if encoding.replace("-", "").lower() in {"latin1", "iso88591"}:
        text = text.translate(_LATIN1)
    return "".join(_fitted(char, encoding) for char in text)
