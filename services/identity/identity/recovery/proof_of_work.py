"""A check that needs no sight: the browser computes a proof of work (a small script, /static/pow.js) instead of
reading the captcha image (docs/decisions/0028-proof-of-work-beside-the-captcha.md).

Like the image, the challenge writes nothing when shown: `issued.nonce.bits.signature`, signed and bound to the
browser's pre-session, goes in the form. The answer is a counter such that sha256("<challenge>:<counter>") starts
with `bits` zero bits: about 2**bits hashes for the browser (a fraction of a second), one for the server. The POST
spends the nonce as the image's does, so a solved challenge serves once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from ..codes.rules import presession_hash

# 2**18 hashes: well under a second in a phone's browser, a real cost to whoever sends thousands of requests.
BITS = 18
LIFETIME = timedelta(minutes=10)
CLOCK_SKEW = timedelta(seconds=30)
MAX_COUNTER = 2**40


def _sign(key: str, bound: str, issued: str, nonce: str, bits: str) -> str:
    return hmac.new(key.encode(), f"pow|{bound}|{issued}|{nonce}|{bits}".encode(), hashlib.sha256).hexdigest()


def issue(key: str, presession: str, now: datetime, bits: int = BITS) -> str:
    issued, nonce = str(int(now.timestamp())), secrets.token_hex(16)
    return ".".join((issued, nonce, str(bits), _sign(key, presession_hash(presession), issued, nonce, str(bits))))


def genuine(key: str, presession: str, challenge: str, now: datetime) -> tuple[str, int, datetime] | None:
    """(nonce, bits, expiry) of a challenge this server gave this browser and still fresh, else None."""
    parts = challenge.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[2].isdigit():
        return None
    issued, nonce, bits, signature = parts
    if not hmac.compare_digest(_sign(key, presession_hash(presession), issued, nonce, bits), signature):
        return None
    issued_at = datetime.fromtimestamp(int(issued), UTC)
    if not issued_at - CLOCK_SKEW <= now < issued_at + LIFETIME:
        return None
    return nonce, int(bits), issued_at + LIFETIME


def leading_zero_bits(digest: bytes) -> int:
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        return count + 8 - byte.bit_length()
    return count


def solves(challenge: str, counter: str, bits: int) -> bool:
    """Whether `counter` (decimal digits, as the script sends it) is a proof of `bits` zero bits."""
    if not counter.isdigit() or len(counter) > 13 or int(counter) > MAX_COUNTER:
        return False
    return leading_zero_bits(hashlib.sha256(f"{challenge}:{counter}".encode()).digest()) >= bits


def solve(challenge: str, bits: int) -> str:
    """What the browser's script does (for tests and the ADR's figures): the first counter that solves it."""
    counter = 0
    while not solves(challenge, str(counter), bits):
        counter += 1
    return str(counter)
