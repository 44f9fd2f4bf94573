"""Settings of the identity service."""
from portal_common.config import BaseSettings, Env, parse_bool, parse_positive_int


class Settings(BaseSettings):
    service = "identity"

    idle_minutes = Env("IDENTITY_IDLE_MINUTES", parse=parse_positive_int, default=30)
    staff_idle_minutes = Env("IDENTITY_STAFF_IDLE_MINUTES", parse=parse_positive_int, default=15)
    absolute_hours = Env("IDENTITY_ABSOLUTE_HOURS", parse=parse_positive_int, default=12)
    # Staff and accounting-firm users must enrol a second factor (TOTP). Only the local demo stack turns it off.
    mfa_mandatory = Env("IDENTITY_MFA_MANDATORY", parse=parse_bool, default=True,
                        help="force staff and accounting-firm (delegate) users to enrol TOTP at their next login")
