"""Response headers for pages that show a secret or carry one in their URL."""

from __future__ import annotations

from flask import Response


def no_store(response: Response) -> Response:
    """A secret on the page (a key, recovery codes, a new API token): never kept by a cache or the history."""
    response.headers["Cache-Control"] = "no-store"
    return response


def token_in_url(response: Response) -> Response:
    """A one-time token in the page's URL: never sent on in a Referer header, never cached (AUTH-34)."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return no_store(response)
