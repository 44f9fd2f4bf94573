"""CSRF tokens bound to the session (HMAC of the session reference), plus an Origin check.

Before login there is no session, so the login form binds its token to a random pre-session
cookie instead (signed double submit, OWASP CSRF cheat sheet). The HMAC key comes from the CSRF key ring
(PORTAL_CSRF_KEYS): a token is `<key id>.<hmac>`, so a new key put first signs new forms while the old one,
kept until the longest session has ended, still accepts forms already open.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, g, request

from ..access import current_principal
from ..keyring import KeyRing

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
PRESESSION_COOKIE = "portal_presession"
# Under TLS every cookie of the portal is host-only, Secure and path=/ (the `__Host-` prefix enforces it).
SECURE_PRESESSION_COOKIE = "__Host-portal_presession"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXEMPT_ATTRIBUTE = "__portal_csrf_exempt__"
UPLOAD_ATTRIBUTE = "__portal_api_upload__"


def signed_elsewhere(view):  # type: ignore[no-untyped-def]
    """For a PUBLIC route another server posts to (a payment provider's notification): no browser, so no
    CSRF token; the view MUST check the request's own signature before acting on it."""
    setattr(view, EXEMPT_ATTRIBUTE, True)
    return view


def api_upload(view):  # type: ignore[no-untyped-def]
    """For an API method that takes files as multipart/form-data (a payroll file). A cross-site form can post
    multipart without a CORS preflight, so it is taken only from an API token (which no browser sends by
    itself) or, from a browser session, with the session's token in the X-CSRF-Token header."""
    setattr(view, UPLOAD_ATTRIBUTE, True)
    return view


def _api_upload_allowed(app: Flask, ring: KeyRing) -> bool:
    view = app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, request.method.lower(), None) if view_class is not None else view
    principal = current_principal()
    if request.mimetype != "multipart/form-data" or not getattr(handler, UPLOAD_ATTRIBUTE, False) or principal is None:
        return False
    if principal.session_ref.startswith("token:"):
        return True
    binding = _binding()
    return binding is not None and _token_is_valid(ring, binding, request.headers.get(HEADER, ""))


def _mac(key: bytes, binding: str) -> str:
    return hmac.new(key, f"csrf|{binding}".encode(), hashlib.sha256).hexdigest()


def _token(ring: KeyRing, binding: str) -> str:
    return f"{ring.current_id}.{_mac(ring.current, binding)}"


def _token_is_valid(ring: KeyRing, binding: str, sent: str) -> bool:
    key_id, _, mac = sent.partition(".")
    key = ring.key(key_id)
    return key is not None and hmac.compare_digest(mac.encode(), _mac(key, binding).encode())


def presession_cookie_name() -> str:
    from flask import current_app

    portal = current_app.extensions.get("portal")
    return SECURE_PRESESSION_COOKIE if portal is not None and portal.settings.secure_cookies else PRESESSION_COOKIE


def presession() -> str:
    """The anonymous browser's pre-session value ('' when it has none yet)."""
    return request.cookies.get(presession_cookie_name(), "")


def _binding() -> str | None:
    principal = current_principal()
    if principal is not None:
        return f"session:{principal.session_ref}"
    cookie = presession()
    return f"presession:{cookie}" if cookie else None


def csrf_token() -> str:
    """The token for forms of the current page (creates the pre-session cookie when needed)."""
    from flask import current_app

    ring = current_app.extensions["portal"].settings.csrf_ring
    binding = _binding()
    if binding is None:
        g.new_presession = secrets.token_urlsafe(32)
        binding = f"presession:{g.new_presession}"
    return _token(ring, binding)


def _same_origin(public_url: str) -> bool:
    """Fetch metadata first, Origin as the fallback; requests with neither still need the token."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in {"same-origin", "none"}
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    return urlsplit(origin).netloc in {urlsplit(public_url).netloc, request.host}


def init_csrf(app: Flask, ring: KeyRing, public_url: str) -> None:
    @app.before_request
    def _check_csrf() -> None:
        if request.method in SAFE_METHODS or request.endpoint is None or request.path.startswith("/internal/"):
            return
        if not _same_origin(public_url):
            abort(403)
        if getattr(app.view_functions.get(request.endpoint), EXEMPT_ATTRIBUTE, False):
            return
        if request.path.startswith("/api/"):
            # JSON only: a cross-site form cannot send application/json without a CORS preflight.
            if request.content_length and request.mimetype != "application/json" and not _api_upload_allowed(app, ring):
                abort(415)
            return
        binding = _binding()
        sent = request.form.get(FIELD) or request.headers.get(HEADER, "")
        if binding is None or not _token_is_valid(ring, binding, sent):
            abort(403)

    @app.after_request
    def _set_presession(response):  # type: ignore[no-untyped-def]
        value = g.pop("new_presession", None)
        if value:
            secure = app.extensions["portal"].settings.secure_cookies
            response.set_cookie(presession_cookie_name(), value, httponly=True, samesite="Lax", secure=secure, path="/")
        return response

    app.jinja_env.globals["csrf_token"] = csrf_token
