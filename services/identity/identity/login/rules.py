"""Login rules free of Flask and SQLAlchemy: identifiers, the lockout policy, the password rules (redirects after
login: portal_common.redirects.safe_path)."""

from __future__ import annotations

import enum
import hashlib
import math
import re
import string
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


def looks_like_member_number(identifier: str) -> bool:
    return len(identifier) == 7 and identifier.isdigit()


def looks_like_email(identifier: str) -> bool:
    local, at, domain = identifier.partition("@")
    return bool(at and local and "." in domain and " " not in identifier and len(identifier) <= 254)


class Check(enum.Enum):
    """The outcome of a password or second-factor check."""

    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"  # refused without checking: the account waits after too many failures


# --- lockout and attempt limits (docs/security.md AUTH-20, AUTH-21) ------------------------------------------


def _account(user_id: str | None, identifier: str) -> str:
    return f"user:{user_id}" if user_id is not None else f"unknown:{identifier.lower()}"


def throttle_key(user_id: str | None, identifier: str = "") -> str:
    """Per account; an unknown identifier gets its own counter so it behaves exactly like an account."""
    return hashlib.sha256(_account(user_id, identifier).encode()).hexdigest()


def pair_key(user_id: str | None, identifier: str, address: str | None) -> str:
    """Per account and client address: one source guessing at one account is stopped before the account is."""
    return hashlib.sha256(f"{_account(user_id, identifier)}|from:{address or ''}".encode()).hexdigest()


@dataclass(frozen=True)
class ThrottleState:
    consecutive_failures: int = 0
    window_started_at: datetime | None = None
    window_failures: int = 0
    blocked_until: datetime | None = None
    minute_started_at: datetime | None = None
    minute_attempts: int = 0


MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class LockoutPolicy:
    """Growing delay from the 5th consecutive failure, a lock after 10 failures in 15 minutes, and at most
    `attempts_per_minute` evaluated attempts (right or wrong) in any calendar minute of the counter."""

    delay_from: int = 5
    lock_after: int = 10
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)
    max_delay: timedelta = timedelta(minutes=15)
    attempts_per_minute: int = 30

    # A counter untouched for longer than every window, lock and delay of the policy can no longer refuse or
    # slow anyone: forgetting it gives the fresh state a new account has. The margin covers clock skew
    # between processes and a purge running while the last failure commits.
    forget_margin: timedelta = timedelta(hours=1)

    def forget_before(self, now: datetime) -> datetime:
        """Counters last updated, and blocked until, before this moment may be deleted."""
        return now - max(self.window, self.lock_for, self.max_delay, MINUTE) - self.forget_margin

    def retry_at(self, state: ThrottleState, now: datetime) -> datetime | None:
        """When the next attempt may be evaluated, or None if it may be now."""
        waits = []
        if state.blocked_until is not None and now < state.blocked_until:
            waits.append(state.blocked_until)
        minute_ends = state.minute_started_at + MINUTE if state.minute_started_at is not None else None
        if minute_ends is not None and now < minute_ends and state.minute_attempts >= self.attempts_per_minute:
            waits.append(minute_ends)
        return max(waits) if waits else None

    def may_try(self, state: ThrottleState, now: datetime) -> bool:
        return self.retry_at(state, now) is None

    def after_attempt(self, state: ThrottleState, now: datetime) -> ThrottleState:
        """An evaluated attempt, right or wrong, counted in the current minute."""
        if state.minute_started_at is not None and now - state.minute_started_at < MINUTE:
            return replace(state, minute_attempts=state.minute_attempts + 1)
        return replace(state, minute_started_at=now, minute_attempts=1)

    def after_success(self, state: ThrottleState, now: datetime) -> ThrottleState:
        """Success forgets the failures; the attempts of the minute still count."""
        counted = self.after_attempt(state, now)
        return ThrottleState(minute_started_at=counted.minute_started_at, minute_attempts=counted.minute_attempts)

    def after_failure(self, state: ThrottleState, now: datetime) -> tuple[ThrottleState, bool]:
        """The new state (the attempt counted in its minute), and whether this failure locked the account."""
        counted = self.after_attempt(state, now)
        consecutive = state.consecutive_failures + 1
        in_window = state.window_started_at is not None and now - state.window_started_at < self.window
        started, failures = (state.window_started_at, state.window_failures + 1) if in_window else (now, 1)
        if failures >= self.lock_after:
            # The window starts afresh after a lock; the consecutive count (and so the delay) keeps growing.
            locked = replace(counted, consecutive_failures=consecutive, window_started_at=None, window_failures=0)
            return replace(locked, blocked_until=now + self.lock_for), True
        blocked = None
        if consecutive >= self.delay_from:
            # The exponent is capped before the timedelta exists: 2 ** 47 seconds would overflow it.
            exponent = min(consecutive - self.delay_from, 30)
            blocked = now + min(timedelta(seconds=2**exponent), self.max_delay)
        failed = replace(counted, consecutive_failures=consecutive, window_started_at=started, window_failures=failures)
        return replace(failed, blocked_until=blocked), False


# Per account, whatever the address (AUTH-20): many sources together get about 100 evaluated guesses an hour.
ACCOUNT_POLICY = LockoutPolicy()
# Per account and address (AUTH-21): one source is stopped sooner, before it can lock the account for its
# owner (6 failures in 15 minutes stay under the account's 10), and without holding back the owner's office.
PAIR_POLICY = LockoutPolicy(delay_from=3, lock_after=6, attempts_per_minute=10)


def wait_seconds(retry_at: datetime, now: datetime) -> int:
    """A `Retry-After` value: whole seconds, rounded up, at least one."""
    return max(1, math.ceil((retry_at - now).total_seconds()))


# --- passwords (docs/security.md AUTH-01..04) -------------------------------------------------------------

# AUTH-01: 15 characters when the password is the account's only factor, 12 once a TOTP app is confirmed.
MIN_PASSWORD_LENGTH = 15
MIN_PASSWORD_LENGTH_WITH_MFA = 12
MAX_PASSWORD_LENGTH = 128
# Words anyone would try first against an occupational-health portal.
GENERIC_CONTEXT_WORDS = (
    "spsti",
    "medecine",
    "travail",
    "sante",
    "adherent",
    "portail",
    "espace",
    "motdepasse",
    "password",
)


# Runs of digits, the alphabet and keyboard rows (AZERTY and QWERTY): "123456789012", "azertyuiopqs".
_SEQUENCES = " ".join(
    ["0123456789" * 14, "abcdefghijklmnopqrstuvwxyz" * 5, "azertyuiopqsdfghjklmwxcvbn", "qwertyuiopasdfghjklzxcvbnm"]
)


def fold(text: str) -> str:
    """Lower case without accents, for comparisons only (the password itself is verified as typed)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _alnum(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def context_words(
    *, member_numbers: Iterable[str] = (), company_names: Iterable[str] = (), emails: Iterable[str] = ()
) -> list[str]:
    words = list(GENERIC_CONTEXT_WORDS) + [n for n in member_numbers if n]
    for name in company_names:
        words += re.split(r"[^0-9a-z]+", fold(name or ""))
    for email in emails:
        local, _, domain = fold(email or "").partition("@")
        words += re.split(r"[^0-9a-z]+", local) + domain.split(".")[:-1]
    return sorted({w for w in words if len(w) >= 3}, key=len, reverse=True)


def password_problem(
    password: str, *, common: Collection[str], context: Iterable[str] = (), with_mfa: bool = False
) -> str | None:
    """Why this password is refused, in French, or None. No composition rules (AUTH-03)."""
    if len(password) < (minimum := MIN_PASSWORD_LENGTH_WITH_MFA if with_mfa else MIN_PASSWORD_LENGTH):
        if with_mfa:
            return f"Le mot de passe doit contenir au moins {minimum} caractères."
        return (
            f"Le mot de passe doit contenir au moins {minimum} caractères "
            f"({MIN_PASSWORD_LENGTH_WITH_MFA} si la double authentification est activée)."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Le mot de passe ne doit pas dépasser {MAX_PASSWORD_LENGTH} caractères."
    folded = fold(password)
    compact = _alnum(folded)
    core = folded.strip(string.digits + string.punctuation + " ")
    sequence = compact in _SEQUENCES or compact[::-1] in _SEQUENCES
    if any(form in common for form in (folded, compact, core)) or len(set(folded)) < 5 or sequence:
        return "Ce mot de passe est trop courant ou trop prévisible : choisissez-en un autre."
    rest = compact
    for word in context:
        rest = rest.replace(word, "")
    if rest != compact and len(rest.strip(string.digits)) < 4:
        return (
            "Ce mot de passe reprend votre n° adhérent, le nom de l'entreprise ou votre adresse e-mail : "
            "choisissez-en un autre."
        )
    return None
