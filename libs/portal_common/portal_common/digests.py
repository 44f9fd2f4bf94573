"""Keyed digests of short secrets that two services must compare without sharing the secret itself.

Example: members gives each company a n° télédéclarant; identity checks the pair (member number, code)
typed at first login against a digest members published, keyed with the portal's internal key so that
reading the event stream is not enough to test guesses offline.
"""

from __future__ import annotations

import hashlib
import hmac


def keyed_digest(key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under a key derived for `purpose`, as 64 hex characters."""
    derived = hmac.new(key.encode(), f"portal-digest:{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(derived, value.encode(), hashlib.sha256).hexdigest()


def digest_matches(key: str, purpose: str, value: str, expected: str | None) -> bool:
    """Constant-time comparison; an unknown expected digest never matches."""
    if not expected:
        return False
    return hmac.compare_digest(keyed_digest(key, purpose, value), expected)
