"""Settings of the workforce service."""

from __future__ import annotations

import re
from functools import cached_property

from portal_common.config import BaseSettings, Env, parse_key, parse_positive_int
from portal_common.keyring import parse_key_ring
from portal_common.vocabulary import MonitoringCategory

from .employees.nir_vault import NirVault
from .employees.rules import CategoryPolicy
from .employees.rules.categories import AUTHORISATION_CATEGORIES

LABEL_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")


def parse_authorisation_category(raw: str) -> MonitoringCategory:
    value = raw.strip().upper()
    if value not in AUTHORISATION_CATEGORIES:
        raise ValueError("expected SI or SIA")
    return MonitoringCategory(value)


def parse_label(raw: str) -> str | None:
    value = raw.strip().upper()
    if value and not LABEL_RE.match(value):
        raise ValueError("expected up to 10 capital letters or digits, e.g. SIH")
    return value or None


class Settings(BaseSettings):
    service = "workforce"

    # No default: a deployment sets its own keys (the local run generates them into var/).
    nir_encryption_keys = Env(
        "WORKFORCE_NIR_ENCRYPTION_KEY",
        parse=parse_key_ring,
        secret=True,
        help="key-id:base64 AES-256 key[,older keys…], encrypts the NIR at rest",
    )
    nir_hash_key = Env(
        "WORKFORCE_NIR_HASH_KEY",
        parse=parse_key,
        secret=True,
        help="key of the NIR blind index used to find duplicates",
    )
    authorisation_category = Env(
        "WORKFORCE_AUTHORISATION_CATEGORY",
        parse=parse_authorisation_category,
        default=MonitoringCategory.SIA,
        help="category of the 2025 determinants (conduite, habilitation)",
    )
    authorisation_label = Env(
        "WORKFORCE_AUTHORISATION_LABEL",
        parse=parse_label,
        default=None,
        help="local label shown for them, e.g. SIH; empty for none",
    )
    import_inline_rows = Env(
        "WORKFORCE_IMPORT_INLINE_ROWS",
        parse=parse_positive_int,
        default=1000,
        help="imports up to this many lines are done in the request; bigger ones by the worker",
    )

    import_inline_bytes = Env(
        "WORKFORCE_IMPORT_INLINE_BYTES",
        parse=parse_positive_int,
        default=1_000_000,
        help="files whose data (CSV, or XLSX sheet and shared texts uncompressed) are bigger are read by the worker",
    )
    nir_reveals_per_day = Env(
        "WORKFORCE_NIR_REVEALS_PER_DAY",
        parse=parse_positive_int,
        default=50,
        help="NIRs one staff user may see in clear per day, each with a reason",
    )

    @property
    def category_policy(self) -> CategoryPolicy:
        return CategoryPolicy(self.authorisation_category, self.authorisation_label)

    @cached_property
    def nir_vault(self) -> NirVault:
        if self.nir_hash_key == self.internal_key:
            raise ValueError("WORKFORCE_NIR_HASH_KEY must differ from PORTAL_INTERNAL_KEY")
        return NirVault(self.nir_encryption_keys, self.nir_hash_key)
