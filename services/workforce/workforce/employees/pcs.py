"""The PCS-ESE 2017 reference list shipped with the service: the label of a profession code such as 552a.

Plain Python (no Flask): the list is read once from `data/pcs_ese_2017.csv` (INSEE, Licence Ouverte, see the
file's header). A well-formed code missing from the list stays valid: it just has no label.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

DATA_FILE = "data/pcs_ese_2017.csv"


@lru_cache(maxsize=1)
def pcs_labels() -> dict[str, str]:
    """Code (lower case, e.g. "552a") → INSEE label, in the file's order."""
    text = files("workforce").joinpath(DATA_FILE).read_text(encoding="utf-8")
    labels: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line == "code;label":
            continue
        code, label = line.split(";", 1)
        labels[code.strip().lower()] = label.strip()
    return labels


def pcs_label(code: str | None) -> str | None:
    """The label of `code` (case and surrounding spaces ignored), None when absent or not in the list."""
    if not code:
        return None
    return pcs_labels().get(str(code).strip().lower())


def pcs_reference() -> list[tuple[str, str]]:
    """(code, label) pairs for a datalist on the forms."""
    return list(pcs_labels().items())
