"""Second-factor rules free of Flask and SQLAlchemy: TOTP codes, recovery codes, who must enrol, step-up.

TOTP follows RFC 6238 (30-second steps, 6 digits, SHA-1: what every authenticator app reads from the QR code).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp
import segno

ISSUER = "Espace adhérent SPSTI"
STEP_SECONDS = 30
# One step either side: a phone clock a little off still works, a code stays usable about a minute at most.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read from paper. 31 symbols, 10 characters: about 49 bits each.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# Re-authentication stays valid this long for sensitive changes (SESS-07), then is asked again.
STEP_UP_WINDOW = timedelta(minutes=5)
# An activation form sent again this soon with the code that confirmed it is told the factor is already on.
ENROLMENT_REPLAY_WINDOW = timedelta(minutes=2)
# An enrolment left unconfirmed this long gets a new secret when the page is opened again.
ENROLMENT_LIFETIME = timedelta(minutes=15)
# A login that waits for its second factor (or for a mandatory enrolment) expires quickly.
PENDING_LIFETIME = timedelta(minutes=10)


class Stage(StrEnum):
    """What a session still waits for (the stored `stage`): nothing, the TOTP, or a mandatory enrolment.
    The gateway's session check refuses the last two; only the second-factor pages read them."""

    FULL = "full"
    WAITING_CODE = "mfa"
    WAITING_ENROLMENT = "enrol"


# --- TOTP ----------------------------------------------------------------------------------------------


def new_secret() -> str:
    """160 random bits in base32 (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The manual key in groups of four, easier to type into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup (pure Python: no image service, nothing leaves the server)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4)
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code à scanner avec votre application" ', 1)


def step_of(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def normalise_code(text: str) -> str:
    return re.sub(r"[\s-]", "", text or "").lower()


def looks_like_totp(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def accepted_step(secret: str, code: str, now: datetime, last_step: int) -> int | None:
    """The time step the code belongs to, if valid now and newer than the last accepted one; else None."""
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret)
    current = step_of(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if step > last_step and secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def is_code_just_used(secret: str, code: str, now: datetime, last_step: int) -> bool:
    """The code is the one last accepted (its step is `last_step`, still within the window): a form sent twice."""
    if not looks_like_totp(code) or abs(step_of(now) - last_step) > VALID_WINDOW:
        return False
    return secrets.compare_digest(pyotp.TOTP(secret).at(last_step * STEP_SECONDS), code)


# --- recovery codes --------------------------------------------------------------------------------------


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """`abcde-fghjk`: shown once to the user, stored only as keyed hashes."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def looks_like_recovery_code(code: str) -> bool:
    """After `normalise_code`: 10 characters of the recovery alphabet."""
    return len(code) == 10 and all(c in RECOVERY_ALPHABET for c in code)


# --- who must enrol, what a login waits for ---------------------------------------------------------------


def mandatory(*, is_staff: bool, is_delegate: bool, enforced: bool) -> bool:
    """Staff and accounting-firm (delegate) users must use a second factor."""
    return enforced and (is_staff or is_delegate)


def stage_after_password(*, has_factor: bool, must_enrol: bool) -> Stage:
    """What a login still needs once the first factor (password, e-mailed code, new password) is given."""
    if has_factor:
        return Stage.WAITING_CODE
    return Stage.WAITING_ENROLMENT if must_enrol else Stage.FULL


# --- step-up --------------------------------------------------------------------------------------------


def step_up_fresh(step_up_at: datetime | None, now: datetime, window: timedelta = STEP_UP_WINDOW) -> bool:
    return step_up_at is not None and timedelta(0) <= now - step_up_at < window
