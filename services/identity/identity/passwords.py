"""Password hashing with argon2id (SECURITY.md AUTH-07), constant work for unknown accounts, and the rules."""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .domain import context_words, password_problem

_hasher = PasswordHasher()  # RFC 9106 low-memory profile: argon2id, t=3, m=64 MiB, p=4


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("dummy password used to equalise timing")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Verify exactly as typed; an unknown account costs the same as a known one."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
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


def password_problem_for(password: str, *, member_numbers: Iterable[str] = (), company_names: Iterable[str] = (),
                         emails: Iterable[str] = ()) -> str | None:
    words = context_words(member_numbers=member_numbers, company_names=company_names, emails=emails)
    return password_problem(password, common=common_passwords(), context=words)
