"""The session cookie: `__Host-` prefixed and Secure under TLS, always HttpOnly and SameSite=Lax."""
from __future__ import annotations

from flask import Request, Response

from portal_common.service import portal

PLAIN_NAME = "portal_session"
HOST_NAME = "__Host-portal_session"


def cookie_name() -> str:
    return HOST_NAME if portal().settings.secure_cookies else PLAIN_NAME


def read_token(request: Request) -> str | None:
    return request.cookies.get(cookie_name())


def set_session_cookie(response: Response, token: str) -> None:
    # No Max-Age: the server decides the lifetime; the browser forgets it when closed.
    response.set_cookie(cookie_name(), token, httponly=True, samesite="Lax", path="/",
                        secure=portal().settings.secure_cookies)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(cookie_name(), path="/", httponly=True, samesite="Lax",
                           secure=portal().settings.secure_cookies)
