"""CSV for French Excel, the one way every export writes it: UTF-8 with BOM, `;`, dd/mm/yyyy, and a cell that
would be a formula kept as text (CSV injection). Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

# A cell starting with one of these is a formula for a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_french_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The file, each value as `csv_text` writes it. An export may hold 10,000 lines of 17 values: a plain text not
    starting a formula (most values) goes in as it is, without a call, and each day is formatted once per file."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    days: dict[date, str] = {}

    def text_of(value: Any) -> str:
        if isinstance(value, date):
            text = days.get(value)
            if text is None:
                text = days[value] = value.strftime("%d/%m/%Y")
            return text
        return csv_text(value)

    writer.writerows(
        [value if value.__class__ is str and not value.startswith(FORMULA_STARTS) else text_of(value) for value in row]
        for row in rows
    )
    return out.getvalue().encode("utf-8")
