"""Rules of the passwordless sign-in, free of Flask and SQLAlchemy: a 6-digit code by e-mail, 10 minutes, single
use, a few attempts, bound to the browser that asked for it."""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from datetime import timedelta

LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5  # per account: no mail-bombing, at most 25 guesses an hour
# A request for a real account writes the code, its e-mail and a log line; an unknown one writes less. The answer
# is held to this floor so that its duration tells nothing (AUTH-22; tests/integration/test_enumeration_and_timing).
ANSWER_FLOOR_S = 0.15


class Outcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # no code pending, expired, used, or out of attempts: ask for a new one


def presession_hash(presession: str) -> str:
    """What binds a code (or a captcha) to the browser's pre-session cookie, without storing the cookie."""
    return hashlib.sha256(f"presession:{presession}".encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_hash(key: str, code_id: str, code: str) -> str:
    # Keyed: a 6-digit code is too small a space for a plain hash to protect it.
    return hmac.new(key.encode(), f"login-code|{code_id}|{code}".encode(), hashlib.sha256).hexdigest()


def looks_like_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()
