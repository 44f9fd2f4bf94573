"""The NAF rév. 2 reference shipped with the service in `reference/` (INSEE nomenclature, 732 sub-classes).

Source: INSEE's NAF rév. 2 list as packaged by SocialGouv (`@socialgouv/codes-naf` 1.1.1, Apache-2.0).
NAF 2025 applies on 1 January 2027: codes are stored with their nomenclature version for that switch.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

NAF_VERSION = "NAFRev2"
VERSION_LABELS = {NAF_VERSION: "NAF rév. 2"}


@lru_cache(maxsize=1)
def naf_rev2() -> dict[str, str]:
    text = (resources.files("members") / "reference" / "naf_rev2.csv").read_text(encoding="utf-8")
    return {row["code"]: row["label"] for row in csv.DictReader(text.splitlines())}


def naf_label(code: str | None) -> str | None:
    return naf_rev2().get(code) if code else None
