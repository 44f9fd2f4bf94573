"""Password hashing with argon2id (docs/security.md AUTH-07), constant work for unknown accounts, and the rules."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .rules import context_words, password_problem

# OWASP's first recommended argon2id profile (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. A login's
# cost is mostly this hash: on 2 cores, 20 people signing in at once must be answered within well under a second,
# which the former 64 MiB x 3 passes x 4 lanes profile (about five times the work) could not do. Hashes of
# another profile are rewritten with this one at the next login (needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class VerificationsBusy(Exception):
    """More argon2 computations at once than this worker allows (docs/security.md AUTH-08): answered 429."""


class Limiter:
    """Caps the argon2 computations running at once in this process: each costs 19 MiB, so a burst of logins must
    not exhaust the worker's memory. A caller waits up to `wait_seconds` for a slot, then gets VerificationsBusy."""

    def __init__(self, slots: int, wait_seconds: float):
        self.slots, self.wait_seconds = slots, wait_seconds
        self._semaphore = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=self.wait_seconds):
            raise VerificationsBusy()
        try:
            yield
        finally:
            self._semaphore.release()


limiter = Limiter(slots=2, wait_seconds=5.0)  # replaced at app start from the settings (configure_limiter)


def configure_limiter(slots: int, wait_ms: int) -> Limiter:
    """One limiter per process; the app factory sizes it from IDENTITY_MAX_CONCURRENT_HASHES."""
    global limiter
    if (limiter.slots, limiter.wait_seconds) != (slots, wait_ms / 1000):
        limiter = Limiter(slots, wait_ms / 1000)
    return limiter


def hash_password(password: str) -> str:
    with limiter.slot():
        return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("dummy password used to equalise timing")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Verify exactly as typed; an unknown account costs the same as a known one."""
    reference = password_hash or _dummy_hash()
    with limiter.slot():
        try:
            return _hasher.verify(reference, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    """Weaker parameters than today's (or not argon2id at all): upgraded at the next login."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped blocklist (zxcvbn's 30,000 most common passwords, see the file's header)."""
    text = files("identity").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def password_problem_for(
    password: str,
    *,
    member_numbers: Iterable[str] = (),
    company_names: Iterable[str] = (),
    emails: Iterable[str] = (),
    with_mfa: bool = False,
) -> str | None:
    words = context_words(member_numbers=member_numbers, company_names=company_names, emails=emails)
    return password_problem(password, common=common_passwords(), context=words, with_mfa=with_mfa)
