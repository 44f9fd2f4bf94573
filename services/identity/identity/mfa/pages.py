"""Pages of the second factor: the TOTP at login, the (mandatory) enrolment, the account's MFA page, step-up."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request

from portal_common.access import AUTHENTICATED, PUBLIC, require_principal
from portal_common.redirects import safe_path
from portal_common.service import portal
from portal_common.web.responses import no_store

from ..login.queries import seconds_to_wait
from ..login.rules import Check
from ..models import Session, User
from ..security_log.rules import Client
from ..sessions.queries import pending
from ..sessions.use_cases import Opened, open_session
from ..web import (
    SECOND_FACTOR_PAGE,
    STEP_UP_PAGE,
    current_user,
    landing,
    read_token,
    set_session_cookie,
    step_up_missing,
)
from . import use_cases as second_factor
from .queries import confirmed_factor, has_factor, just_enrolled_with, must_use, recovery_codes_left
from .rules import Stage, looks_like_recovery_code, looks_like_totp, normalise_code

mfa_pages = Blueprint("identity_mfa", __name__)

WRONG_CODE = "Code incorrect : saisissez le code à 6 chiffres affiché par votre application, ou un code de secours."
THROTTLED = (
    "Trop de tentatives pour ce compte : patientez quelques minutes, ou choisissez un nouveau mot de passe "
    "avec « Mot de passe oublié »."
)
ENROL_WRONG = "Code incorrect : vérifiez l'heure de votre téléphone et saisissez le code à 6 chiffres affiché."
CHALLENGE_TITLE = "Double authentification"
ALREADY_ENROLLED = (
    "La double authentification est déjà activée avec ce code. Si vous n'avez pas noté vos codes de secours, "
    "générez-en de nouveaux ci-dessous."
)
ENROL_TITLE = "Activer la double authentification"


def _pending(stage: Stage) -> tuple[Session, User] | None:
    found = pending(portal(), read_token(request))
    return found if found is not None and found[0].stage == stage else None


def _recovery_codes_page(codes: list[str], continue_to: str) -> Response:
    """The codes, shown once: never cached."""
    return no_store(
        make_response(
            render_template(
                "identity/mfa_recovery_codes.html",
                codes=codes,
                continue_to=continue_to,
                page_title="Vos codes de secours",
            )
        )
    )


def _expired() -> Response:
    flash("Votre connexion a expiré : identifiez-vous de nouveau, s'il vous plaît.", "error")
    return redirect("/connexion", code=303)


def _complete(session: Session, user: User) -> Opened:
    """The second factor is given: a new session id (privilege change), the waiting one dies."""
    return open_session(
        portal(),
        user,
        member_id=session.current_member_id,
        user_agent=request.user_agent.string,
        replaces=read_token(request),
    )


# --- at login ----------------------------------------------------------------------------------------------


@mfa_pages.route(SECOND_FACTOR_PAGE, methods=["GET", "POST"])
@PUBLIC
def challenge():
    next_path = safe_path(request.values.get("next"))
    found = _pending(Stage.WAITING_CODE)
    if found is None:
        return _expired()
    session, user = found
    if request.method == "GET":
        return render_template(
            "identity/mfa_challenge.html", errors={}, next_path=next_path, page_title=CHALLENGE_TITLE
        )
    code = normalise_code(request.form.get("code", "")[:40])
    if not (looks_like_totp(code) or looks_like_recovery_code(code)):
        return render_template(
            "identity/mfa_challenge.html", errors={"code": WRONG_CODE}, next_path=next_path, page_title=CHALLENGE_TITLE
        ), 422
    checked = second_factor.check_login_code(portal(), user.id, code, Client.of(request))
    if checked is not Check.OK:
        throttled = checked is Check.THROTTLED
        page = render_template(
            "identity/mfa_challenge.html",
            errors={"code": THROTTLED if throttled else WRONG_CODE},
            next_path=next_path,
            page_title=CHALLENGE_TITLE,
        )
        if throttled:  # docs/security.md AUTH-21
            return page, 429, {"Retry-After": str(seconds_to_wait(portal(), user.id, "", Client.of(request).ip))}
        return page, 401
    opened = _complete(session, user)
    response = redirect(landing(user, session.current_member_id, next_path), code=303)
    set_session_cookie(response, opened.token)
    return response


def _enrol_page(enrolment: Any, action: str, next_path: str, *, mandatory: bool, wrong_code: bool = False) -> Any:
    """The enrolment page, at login (mandatory) or from the account; never cached (it shows the secret)."""
    page = render_template(
        "identity/mfa_enrol.html",
        enrolment=enrolment,
        errors={"code": ENROL_WRONG} if wrong_code else {},
        action=action,
        next_path=next_path,
        mandatory=mandatory,
        page_title=ENROL_TITLE,
    )
    return no_store(make_response(page, 422) if wrong_code else make_response(page))


@mfa_pages.route(SECOND_FACTOR_PAGE + "/activation", methods=["GET", "POST"])
@PUBLIC
def enrol_at_login():
    """Staff and accounting-firm users without a factor: enrolment before anything else."""
    next_path = safe_path(request.values.get("next"))
    found = _pending(Stage.WAITING_ENROLMENT)
    if found is None:
        return _expired()
    session, user = found
    enrolment = second_factor.begin_enrolment(portal(), user)
    action = SECOND_FACTOR_PAGE + "/activation"
    if request.method == "GET":
        return _enrol_page(enrolment, action, next_path, mandatory=True)
    codes = second_factor.confirm_enrolment(portal(), user, request.form.get("code", "")[:40], Client.of(request))
    if codes is None:
        return _enrol_page(enrolment, action, next_path, mandatory=True, wrong_code=True)
    opened = _complete(session, user)
    response = _recovery_codes_page(codes, landing(user, session.current_member_id, next_path))
    set_session_cookie(response, opened.token)
    return response


# --- the account's page --------------------------------------------------------------------------------------


@mfa_pages.get("/compte/double-authentification")
@AUTHENTICATED
def account_mfa():
    user = current_user()
    with portal().db.session_factory() as db:
        factor = confirmed_factor(db, user.id)
        left = recovery_codes_left(db, user.id)
        mandatory = must_use(db, portal(), user)
    return render_template(
        "identity/mfa_account.html", factor=factor, left=left, mandatory=mandatory, page_title=CHALLENGE_TITLE
    )


@mfa_pages.route("/compte/double-authentification/activation", methods=["GET", "POST"])
@AUTHENTICATED
def account_enrol():
    if (needed := step_up_missing()) is not None:
        return needed
    user = current_user()
    if request.method == "POST" and just_enrolled_with(portal(), user.id, request.form.get("code", "")[:40]):
        flash(ALREADY_ENROLLED, "info")
        return redirect("/compte/double-authentification", code=303)
    enrolment = second_factor.begin_enrolment(portal(), user)
    action = "/compte/double-authentification/activation"
    if request.method == "GET":
        return _enrol_page(enrolment, action, "/compte", mandatory=False)
    codes = second_factor.confirm_enrolment(portal(), user, request.form.get("code", "")[:40], Client.of(request))
    if codes is None:
        return _enrol_page(enrolment, action, "/compte", mandatory=False, wrong_code=True)
    return _recovery_codes_page(codes, "/compte/double-authentification")


@mfa_pages.post("/compte/double-authentification/codes")
@AUTHENTICATED
def account_new_codes():
    if (needed := step_up_missing("/compte/double-authentification")) is not None:
        return needed
    codes = second_factor.regenerate_recovery_codes(portal(), current_user(), Client.of(request))
    if codes is None:
        abort(404)
    return _recovery_codes_page(codes, "/compte/double-authentification")


@mfa_pages.post("/compte/double-authentification/desactivation")
@AUTHENTICATED
def account_disable():
    if (needed := step_up_missing("/compte/double-authentification")) is not None:
        return needed
    if second_factor.disable(portal(), current_user(), Client.of(request)):
        flash("La double authentification est désactivée.", "success")
    else:
        flash(
            "La double authentification est obligatoire pour votre compte : vous pouvez remplacer votre "
            "application, pas la désactiver.",
            "error",
        )
    return redirect("/compte/double-authentification", code=303)


# --- step-up ---------------------------------------------------------------------------------------------------


@mfa_pages.route(STEP_UP_PAGE, methods=["GET", "POST"])
@AUTHENTICATED
def verify():
    """Re-authentication before a sensitive change: the TOTP when the account has one, else the password."""
    principal = require_principal()
    next_path = safe_path(request.values.get("next"))
    user = current_user()
    with portal().db.session_factory() as db:
        uses_code = has_factor(db, user.id)
    field = "code" if uses_code else "password"
    if request.method == "GET":
        return render_template(
            "identity/step_up.html",
            uses_code=uses_code,
            errors={},
            next_path=next_path,
            page_title="Confirmer mon identité",
        )
    secret = request.form.get("code", "")[:40] if uses_code else request.form.get("password", "")[:1024]
    done = second_factor.step_up(
        portal(),
        user.id,
        session_ref=principal.session_ref,
        uses_code=uses_code,
        secret=secret,
        token=read_token(request),
        user_agent=request.user_agent.string,
        client=Client.of(request),
    )
    if done.opened is None:
        message = (
            THROTTLED if done.checked is Check.THROTTLED else (WRONG_CODE if uses_code else "Mot de passe incorrect.")
        )
        page = render_template(
            "identity/step_up.html",
            uses_code=uses_code,
            errors={field: message},
            next_path=next_path,
            page_title="Confirmer mon identité",
        )
        if done.checked is Check.THROTTLED:  # docs/security.md AUTH-21
            return page, 429, {"Retry-After": str(seconds_to_wait(portal(), user.id, "", Client.of(request).ip))}
        return page, 401
    response = redirect(next_path, code=303)
    set_session_cookie(response, done.opened.token)
    return response
