"""The one safe-redirect rule: where a `next`, a Referer-based return or a post-login target may send a browser.

Only a path of this portal. Browsers forgive a lot on the way from a Location header to a request: they drop
tabs and newlines anywhere, read a backslash as a slash, and take `//host` or `/\\host` as another site. So a
target is refused outright when it holds any control or whitespace character, a backslash, or an encoded one of
those or of a slash, rather than cleaned: whatever is left after a browser's clean-up must be what we checked.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from .validators import without_nir_query

MAX_LENGTH = 2000
# Paths that must never be a return target: the login and logout pages themselves, and internal routes.
NEVER_RETURN_TO = ("/connexion", "/deconnexion", "/internal/")
# Percent-encodings of a slash, a backslash, a control character, a space or a percent sign (double encoding).
_ENCODED_TRICK = re.compile(r"%(2f|5c|[01][0-9a-f]|7f|20|25)", re.IGNORECASE)


def _clean(text: str) -> bool:
    """No control, format (bidi), separator or surrogate character, no backslash."""
    for char in text:
        if char == "\\" or char.isspace():
            return False
        if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}:
            return False
    return True


def safe_path(target: str | None, default: str = "/") -> str:
    """`target` when it is a local path of the portal, otherwise `default`; never a NIR in the query."""
    if not target or len(target) > MAX_LENGTH or not target.startswith("/") or target.startswith("//"):
        return default
    if not _clean(target) or _ENCODED_TRICK.search(target):
        return default
    decoded = unquote(target)
    if decoded.startswith("//") or not _clean(decoded):
        return default
    if target.startswith(NEVER_RETURN_TO) or decoded.startswith(NEVER_RETURN_TO):
        return default
    return without_nir_query(target)
