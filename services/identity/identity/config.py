"""Settings of the identity service."""

from portal_common.config import BaseSettings, Env, parse_bool, parse_positive_int
from portal_common.keyring import KeyRing, derived_ring, parse_key_ring, with_legacy

# The keys these purposes used before they had their own ring (derived from PORTAL_INTERNAL_KEY): kept read-only
# in their ring so that values sealed before still open (docs/decisions/0024-keys-by-purpose.md).
LEGACY_KEY_ID = "d1"
TOTP_LEGACY_PURPOSE = "identity|totp-secret|v1"
EMAIL_LINK_LEGACY_PURPOSE = "identity|email-change|v1"


def parse_non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


class Settings(BaseSettings):
    service = "identity"

    idle_minutes = Env("IDENTITY_IDLE_MINUTES", parse=parse_positive_int, default=30)
    staff_idle_minutes = Env("IDENTITY_STAFF_IDLE_MINUTES", parse=parse_positive_int, default=15)
    absolute_hours = Env("IDENTITY_ABSOLUTE_HOURS", parse=parse_positive_int, default=12)
    # docs/security.md AUTH-08: each argon2 computation takes 19 MiB; beyond this many at once per worker process,
    # a login waits up to the given time for a slot, then is answered 429.
    max_concurrent_hashes = Env(
        "IDENTITY_MAX_CONCURRENT_HASHES",
        parse=parse_positive_int,
        default=2,
        help="password verifications running at once per worker process",
    )
    hash_wait_ms = Env(
        "IDENTITY_HASH_WAIT_MS",
        parse=parse_non_negative_int,
        default=5000,
        help="how long a login waits for a free verification slot before answering 429",
    )
    # Staff and accounting-firm users must enrol a second factor (TOTP). Only the local demo stack turns it off.
    mfa_mandatory = Env(
        "IDENTITY_MFA_MANDATORY",
        parse=parse_bool,
        default=True,
        help="force staff and accounting-firm (delegate) users to enrol TOTP at their next login",
    )
    totp_keys = Env(
        "IDENTITY_TOTP_KEYS",
        parse=parse_key_ring,
        default=None,
        secret=True,
        help="key-id:base64 32-byte AES keys sealing TOTP secrets, the first seals; rotate with "
        "`python -m identity.keys rotate`",
    )
    email_link_keys = Env(
        "IDENTITY_EMAIL_LINK_KEYS",
        parse=parse_key_ring,
        default=None,
        secret=True,
        help="key-id:base64 32-byte AES keys sealing the new address inside e-mail-change links, the first seals",
    )

    @property
    def totp_ring(self) -> KeyRing:
        return with_legacy(self.totp_keys, derived_ring(self.internal_key, TOTP_LEGACY_PURPOSE, LEGACY_KEY_ID))

    @property
    def email_link_ring(self) -> KeyRing:
        return with_legacy(
            self.email_link_keys, derived_ring(self.internal_key, EMAIL_LINK_LEGACY_PURPOSE, LEGACY_KEY_ID)
        )
