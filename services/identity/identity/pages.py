"""Pages of the identity service: login, logout, company switcher, account; and the session check."""
from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request
from sqlalchemy import select

from portal_common import passport
from portal_common.access import AUTHENTICATED, INTERNAL, PUBLIC, require_principal
from portal_common.service import portal

from . import accounts, api_tokens, mfa, second_factor, sessions, token_rules
from .cookies import clear_session_cookie, read_token, set_session_cookie
from .domain import looks_like_email, looks_like_member_number, safe_next
from .models import MemberDirectoryEntry, User
from .security_log import Client

pages = Blueprint("identity_pages", __name__, template_folder="templates")

LOGIN_FAILED = "Identifiant ou mot de passe incorrect."
BAD_IDENTIFIER = "Saisissez votre n° adhérent (7 chiffres) ou votre adresse e-mail (exemple : nom@entreprise.fr)."
LOGIN_THROTTLED = ("Trop de tentatives de connexion pour cet identifiant : patientez quelques minutes, "
                   "ou choisissez un nouveau mot de passe avec « Mot de passe oublié ».")


@pages.route("/internal/session", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
@INTERNAL
def session_check():
    """nginx auth_request: 204 with the signed identity, or 401 (403: an API token outside its scopes).

    A bearer token (payroll software) opens only `/api/` paths, never with the rights of a cookie sent alongside.
    """
    try:
        bearer = token_rules.bearer_token(request.headers.get("Authorization"))
        if bearer is not None or request.headers.get("Authorization", "").lower().startswith("bearer"):
            if bearer is None:
                return "", 401
            checked = api_tokens.check(portal(), bearer, method=request.headers.get("X-Original-Method", "GET"),
                                       original_uri=request.headers.get("X-Original-URI"), client=Client.of(request))
            if checked.principal is None:
                return "", checked.outcome.value
            principal = checked.principal
        else:
            principal = sessions.principal_for(portal(), read_token(request))
    except Exception:  # a 500 here would become a 500 for every page; deny instead
        logging.getLogger(__name__).exception("session check failed")
        return "", 401
    if principal is None:
        return "", 401
    response = make_response("", 204)
    response.headers[passport.HEADER] = passport.sign(principal, portal().settings.internal_key)
    return response


@pages.get("/internal/login-redirect")
@INTERNAL
def login_redirect():
    target = safe_next(request.headers.get("X-Original-URI"))
    suffix = "" if target == "/" else f"?next={quote(target, safe='/')}"
    return redirect(f"/connexion{suffix}", code=302)


@pages.route("/connexion", methods=["GET", "POST"])
@PUBLIC
def login():
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("identity/login.html", next_path=next_path, identifier="", error=None,
                               page_title="Connexion")
    identifier = request.form.get("identifier", "").strip()[:254]
    password = request.form.get("password", "")[:1024]
    if identifier and not (looks_like_member_number(identifier) or looks_like_email(identifier)):
        return render_template("identity/login.html", next_path=next_path, identifier=identifier, error=None,
                               errors={"identifier": BAD_IDENTIFIER}, page_title="Connexion"), 422
    found = None
    if identifier and password:
        found = accounts.authenticate(portal(), identifier, password, Client.of(request))
    if found is None or found.user is None:
        throttled = found is not None and found.throttled
        return render_template("identity/login.html", next_path=next_path, identifier=identifier,
                               error=LOGIN_THROTTLED if throttled else LOGIN_FAILED,
                               page_title="Connexion"), 429 if throttled else 401
    return signed_in(found.user, found.member_id, next_path)


def signed_in(user: User, member_id: str | None, next_path: str = "/") -> Response:
    """After any successful first factor: a brand-new session id (the pre-login one dies), then on to the portal,
    or first to the second factor (TOTP, or its enrolment when mandatory) on a session that opens nothing else."""
    stage = second_factor.stage_for(portal(), user)
    opened = sessions.open_session(portal(), user, member_id=member_id, user_agent=request.user_agent.string,
                                   replaces=read_token(request), stage=stage)
    if stage == mfa.FULL:
        response = redirect(landing(user, member_id, next_path), code=303)
    else:
        target = SECOND_FACTOR_PAGE + ("/activation" if stage == mfa.WAITING_ENROLMENT else "")
        suffix = "" if next_path == "/" else f"?next={quote(next_path, safe='/')}"
        response = redirect(target + suffix, code=303)
    set_session_cookie(response, opened.token)
    return response


SECOND_FACTOR_PAGE = "/connexion/double-authentification"


def landing(user: User, member_id: str | None, next_path: str = "/") -> str:
    """Where a completed login goes: the page asked for, or the company choice when none is current yet."""
    if member_id is None and next_path == "/" and not user.staff_role_set:
        return "/changer-adherent"
    return next_path


@pages.post("/deconnexion")
@AUTHENTICATED
def logout():
    sessions.close_session(portal(), read_token(request), client=Client.of(request),
                           user_id=require_principal().user_id)
    flash("Vous êtes déconnecté. À bientôt !", "success")
    response = redirect("/connexion", code=303)
    clear_session_cookie(response)
    return response


@pages.route("/changer-adherent", methods=["GET", "POST"])
@AUTHENTICATED
def switch_member():
    principal = require_principal()
    user = accounts.get_user(portal(), principal.user_id)
    if user is None:
        abort(401)
    if request.method == "POST":
        member_id = request.form.get("member_id", "")
        if not accounts.may_act_for(portal(), user, member_id):
            abort(403)
        # Roles change with the company: a privilege change gets a new session id.
        opened = sessions.open_session(portal(), user, member_id=member_id, user_agent=request.user_agent.string,
                                       replaces=read_token(request))
        response = redirect("/", code=303)
        set_session_cookie(response, opened.token)
        return response
    query = request.args.get("q", "").strip()[:100]
    db = portal().db.session
    if user.staff_role_set:
        stmt = select(MemberDirectoryEntry).order_by(MemberDirectoryEntry.name).limit(200)
        if query:
            stmt = stmt.where(MemberDirectoryEntry.name.ilike(f"%{query}%")
                              | MemberDirectoryEntry.member_number.like(f"%{query}%"))
        choices = [(entry, None) for entry in db.scalars(stmt)]
    else:
        choices = [(entry, link) for link, entry in sessions.linked_members(db, user) if entry is not None]
    return render_template("identity/switch.html", choices=choices, query=query, is_staff=bool(user.staff_role_set),
                           page_title="Changer d'adhérent")
