"""Password hashing with argon2id (SECURITY.md AUTH-07), constant work for unknown accounts."""
from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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
