"""The n° télédéclarant given to each member company with its welcome letter; no Flask, no SQLAlchemy.

With the member number (the "code adhérent") it lets the company open its first portal account. Members keeps
it encrypted (to print the letter again) and publishes only a keyed digest of it, which identity compares.
"""

from __future__ import annotations

import re
import secrets

from portal_common.digests import keyed_digest

# Unambiguous characters only: no 0/O, 1/I/L, so a code copied from paper is typed right.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10
DIGEST_PURPOSE = "declarant-code"
CODE_RE = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def generate_code() -> str:
    """A new random code, e.g. K7MP3XR9TB (about 50 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_code(typed: str) -> str:
    """What a person typed, as it is digested: upper case, without spaces or dashes."""
    return re.sub(r"[\s\-]", "", typed or "").upper()


def code_digest(internal_key: str, code: str) -> str:
    """keyed_digest(internal key, "declarant-code", code in upper case): what identity compares."""
    return keyed_digest(internal_key, DIGEST_PURPOSE, normalise_code(code))


def grouped(code: str) -> str:
    """Printed in groups of five for reading: K7MP3 XR9TB."""
    return " ".join(code[i : i + 5] for i in range(0, len(code), 5))
