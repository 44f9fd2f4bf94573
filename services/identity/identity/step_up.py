"""Step-up: sensitive changes need a re-authentication of less than 5 minutes (SESS-07).

Identity's own views call `missing()` first; other services read the `step_up` grant of the passport and send the
user to `/compte/verification?next=…` (members does so through `/compte?reauthentification=…`).
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, redirect, request

from portal_common.access import require_principal
from portal_common.passport import STEP_UP_GRANT

PAGE = "/compte/verification"


def page_for(next_path: str) -> str:
    return f"{PAGE}?next={quote(next_path, safe='/')}"


def missing(next_path: str | None = None) -> Response | None:
    """None when the session re-authenticated recently; else the redirect to the re-authentication page."""
    if STEP_UP_GRANT in require_principal().grants:
        return None
    return redirect(page_for(next_path or request.path), code=303)
