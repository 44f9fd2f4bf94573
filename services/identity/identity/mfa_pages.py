"""Pages of the second factor: the TOTP at login, the (mandatory) enrolment, the account's MFA page, step-up."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request

from portal_common.access import AUTHENTICATED, PUBLIC, require_principal
from portal_common.service import portal
from portal_common.web.responses import no_store

from . import credentials, mfa, second_factor, sessions, step_up
from .cookies import read_token, set_session_cookie
from .credentials import Check
from .current import current_user
from .domain import safe_next
from .models import Session, User
from .pages import SECOND_FACTOR_PAGE, landing
from .security_log import Client

mfa_pages = Blueprint("identity_mfa", __name__, template_folder="templates")

WRONG_CODE = "Code incorrect : saisissez le code à 6 chiffres affiché par votre application, ou un code de secours."
THROTTLED = ("Trop de tentatives pour ce compte : patientez quelques minutes, ou choisissez un nouveau mot de passe "
             "avec « Mot de passe oublié ».")
ENROL_WRONG = "Code incorrect : vérifiez l'heure de votre téléphone et saisissez le code à 6 chiffres affiché."
CHALLENGE_TITLE = "Double authentification"
ENROL_TITLE = "Activer la double authentification"


def _pending(stage: str) -> tuple[Session, User] | None:
    found = sessions.pending(portal(), read_token(request))
    return found if found is not None and found[0].stage == stage else None


def _recovery_codes_page(codes: list[str], continue_to: str) -> Response:
    """The codes, shown once: never cached."""
    return no_store(make_response(render_template("identity/mfa_recovery_codes.html", codes=codes,
                                                  continue_to=continue_to, page_title="Vos codes de secours")))


def _expired() -> Response:
    flash("Votre connexion a expiré : identifiez-vous de nouveau, s'il vous plaît.", "error")
    return redirect("/connexion", code=303)


def _complete(session: Session, user: User) -> sessions.Opened:
    """The second factor is given: a new session id (privilege change), the waiting one dies."""
    return sessions.open_session(portal(), user, member_id=session.current_member_id,
                                 user_agent=request.user_agent.string, replaces=read_token(request))


# --- at login ----------------------------------------------------------------------------------------------

@mfa_pages.route(SECOND_FACTOR_PAGE, methods=["GET", "POST"])
@PUBLIC
def challenge():
    next_path = safe_next(request.values.get("next"))
    found = _pending(mfa.WAITING_CODE)
    if found is None:
        return _expired()
    session, user = found
    if request.method == "GET":
        return render_template("identity/mfa_challenge.html", errors={}, next_path=next_path,
                               page_title=CHALLENGE_TITLE)
    code = mfa.normalise_code(request.form.get("code", "")[:40])
    if not (mfa.looks_like_totp(code) or mfa.looks_like_recovery_code(code)):
        return render_template("identity/mfa_challenge.html", errors={"code": WRONG_CODE}, next_path=next_path,
                               page_title=CHALLENGE_TITLE), 422
    with portal().uow() as tx:
        checked = second_factor.check_code(tx, portal(), tx.session.get(User, user.id), code, Client.of(request),
                                           kind="mfa_login")
        tx.commit()
    if checked is not Check.OK:
        throttled = checked is Check.THROTTLED
        return render_template("identity/mfa_challenge.html", errors={"code": THROTTLED if throttled else WRONG_CODE},
                               next_path=next_path, page_title=CHALLENGE_TITLE), 429 if throttled else 401
    opened = _complete(session, user)
    response = redirect(landing(user, session.current_member_id, next_path), code=303)
    set_session_cookie(response, opened.token)
    return response


@mfa_pages.route(SECOND_FACTOR_PAGE + "/activation", methods=["GET", "POST"])
@PUBLIC
def enrol_at_login():
    """Staff and accounting-firm users without a factor: enrolment before anything else."""
    next_path = safe_next(request.values.get("next"))
    found = _pending(mfa.WAITING_ENROLMENT)
    if found is None:
        return _expired()
    session, user = found
    enrolment = second_factor.begin_enrolment(portal(), user)
    action = SECOND_FACTOR_PAGE + "/activation"
    if request.method == "GET":
        return no_store(make_response(render_template(
            "identity/mfa_enrol.html", enrolment=enrolment, errors={}, action=action, next_path=next_path,
            mandatory=True, page_title=ENROL_TITLE)))
    codes = second_factor.confirm_enrolment(portal(), user, request.form.get("code", "")[:40], Client.of(request))
    if codes is None:
        return no_store(make_response(render_template(
            "identity/mfa_enrol.html", enrolment=enrolment, errors={"code": ENROL_WRONG}, action=action,
            next_path=next_path, mandatory=True, page_title=ENROL_TITLE), 422))
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
        factor = second_factor.confirmed_factor(db, user.id)
        left = second_factor.recovery_codes_left(db, user.id)
        mandatory = second_factor.must_use(db, portal(), user)
    return render_template("identity/mfa_account.html", factor=factor, left=left, mandatory=mandatory,
                           page_title=CHALLENGE_TITLE)


@mfa_pages.route("/compte/double-authentification/activation", methods=["GET", "POST"])
@AUTHENTICATED
def account_enrol():
    if (needed := step_up.missing()) is not None:
        return needed
    user = current_user()
    enrolment = second_factor.begin_enrolment(portal(), user)
    action = "/compte/double-authentification/activation"
    if request.method == "GET":
        return no_store(make_response(render_template(
            "identity/mfa_enrol.html", enrolment=enrolment, errors={}, action=action, next_path="/compte",
            mandatory=False, page_title=ENROL_TITLE)))
    codes = second_factor.confirm_enrolment(portal(), user, request.form.get("code", "")[:40], Client.of(request))
    if codes is None:
        return no_store(make_response(render_template(
            "identity/mfa_enrol.html", enrolment=enrolment, errors={"code": ENROL_WRONG}, action=action,
            next_path="/compte", mandatory=False, page_title=ENROL_TITLE), 422))
    return _recovery_codes_page(codes, "/compte/double-authentification")


@mfa_pages.post("/compte/double-authentification/codes")
@AUTHENTICATED
def account_new_codes():
    if (needed := step_up.missing("/compte/double-authentification")) is not None:
        return needed
    codes = second_factor.regenerate_recovery_codes(portal(), current_user(), Client.of(request))
    if codes is None:
        abort(404)
    return _recovery_codes_page(codes, "/compte/double-authentification")


@mfa_pages.post("/compte/double-authentification/desactivation")
@AUTHENTICATED
def account_disable():
    if (needed := step_up.missing("/compte/double-authentification")) is not None:
        return needed
    if second_factor.disable(portal(), current_user(), Client.of(request)):
        flash("La double authentification est désactivée.", "success")
    else:
        flash("La double authentification est obligatoire pour votre compte : vous pouvez remplacer votre "
              "application, pas la désactiver.", "error")
    return redirect("/compte/double-authentification", code=303)


# --- step-up ---------------------------------------------------------------------------------------------------

@mfa_pages.route(step_up.PAGE, methods=["GET", "POST"])
@AUTHENTICATED
def verify():
    """Re-authentication before a sensitive change: the TOTP when the account has one, else the password."""
    principal = require_principal()
    next_path = safe_next(request.values.get("next"))
    user = current_user()
    with portal().db.session_factory() as db:
        uses_code = second_factor.has_factor(db, user.id)
    field = "code" if uses_code else "password"
    if request.method == "GET":
        return render_template("identity/step_up.html", uses_code=uses_code, errors={}, next_path=next_path,
                               page_title="Confirmer mon identité")
    client = Client.of(request)
    with portal().uow() as tx:
        account = tx.session.get(User, user.id)
        if uses_code:
            checked = second_factor.check_code(tx, portal(), account, request.form.get("code", "")[:40], client,
                                               kind="step_up")
        else:
            checked = credentials.check_password(tx, portal(), account, "", request.form.get("password", "")[:1024],
                                                 client, kind="step_up")
        opened = None
        if checked is Check.OK:
            # Privilege change: the stepped-up session gets a new id, the current one dies with this commit.
            current = tx.session.get(Session, principal.session_ref)
            opened = sessions.start(tx.session, portal(), user.id, user_agent=request.user_agent.string,
                                    replaces=read_token(request), step_up=True,
                                    member_id=current.current_member_id if current else None)
        tx.commit()
    if opened is None:
        message = THROTTLED if checked is Check.THROTTLED else (
            WRONG_CODE if uses_code else "Mot de passe incorrect.")
        return render_template("identity/step_up.html", uses_code=uses_code, errors={field: message},
                               next_path=next_path, page_title="Confirmer mon identité"), (
            429 if checked is Check.THROTTLED else 401)
    response = redirect(next_path, code=303)
    set_session_cookie(response, opened.token)
    return response
