"""Page helpers shared by the identity capabilities: the session cookie, the signed-in user, the step-up
redirect, and where a completed first factor leads."""

from __future__ import annotations

from urllib.parse import quote

from flask import Request, Response, abort, redirect, request

from portal_common.access import require_principal
from portal_common.passport import STEP_UP_GRANT
from portal_common.service import portal

from .accounts.queries import get_user
from .mfa.queries import stage_for
from .mfa.rules import Stage
from .models import User
from .sessions.use_cases import open_session

# --- the session cookie: `__Host-` prefixed and Secure under TLS, always HttpOnly and SameSite=Lax -------------

PLAIN_NAME = "portal_session"
HOST_NAME = "__Host-portal_session"


def cookie_name() -> str:
    return HOST_NAME if portal().settings.secure_cookies else PLAIN_NAME


def read_token(request: Request) -> str | None:
    return request.cookies.get(cookie_name())


def set_session_cookie(response: Response, token: str) -> None:
    # No Max-Age: the server decides the lifetime; the browser forgets it when closed.
    response.set_cookie(
        cookie_name(), token, httponly=True, samesite="Lax", path="/", secure=portal().settings.secure_cookies
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        cookie_name(), path="/", httponly=True, samesite="Lax", secure=portal().settings.secure_cookies
    )


# --- the signed-in user of the request ------------------------------------------------------------------------


def current_user() -> User:
    """The user behind the request's identity; 401 when the account is gone meanwhile."""
    user = get_user(portal(), require_principal().user_id)
    if user is None:
        abort(401)
    return user


# --- step-up: sensitive changes need a re-authentication of less than 5 minutes (SESS-07) ----------------------
# Identity's own views call `step_up_missing()` first; other services read the `step_up` grant of the passport and
# send the user to `/compte/verification?next=…` (members does so through `/compte?reauthentification=…`).

STEP_UP_PAGE = "/compte/verification"


def step_up_page_for(next_path: str) -> str:
    return f"{STEP_UP_PAGE}?next={quote(next_path, safe='/')}"


def step_up_missing(next_path: str | None = None) -> Response | None:
    """None when the session re-authenticated recently; else the redirect to the re-authentication page."""
    if STEP_UP_GRANT in require_principal().grants:
        return None
    return redirect(step_up_page_for(next_path or request.path), code=303)


# --- after a first factor ---------------------------------------------------------------------------------------

SECOND_FACTOR_PAGE = "/connexion/double-authentification"


def signed_in(user: User, member_id: str | None, next_path: str = "/") -> Response:
    """After any successful first factor: a brand-new session id (the pre-login one dies), then on to the portal,
    or first to the second factor (TOTP, or its enrolment when mandatory) on a session that opens nothing else."""
    stage = stage_for(portal(), user)
    opened = open_session(
        portal(),
        user,
        member_id=member_id,
        user_agent=request.user_agent.string,
        replaces=read_token(request),
        stage=stage,
    )
    if stage == Stage.FULL:
        response = redirect(landing(user, member_id, next_path), code=303)
    else:
        target = SECOND_FACTOR_PAGE + ("/activation" if stage == Stage.WAITING_ENROLMENT else "")
        suffix = "" if next_path == "/" else f"?next={quote(next_path, safe='/')}"
        response = redirect(target + suffix, code=303)
    set_session_cookie(response, opened.token)
    return response


def landing(user: User, member_id: str | None, next_path: str = "/") -> str:
    """Where a completed login goes: the page asked for, or the company choice when none is current yet."""
    if member_id is None and next_path == "/" and not user.staff_role_set:
        return "/changer-adherent"
    return next_path
