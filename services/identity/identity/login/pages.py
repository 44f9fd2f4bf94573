"""The login and logout pages, and the gateway's redirect of an anonymous browser to the login page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request

from portal_common.access import AUTHENTICATED, INTERNAL, PUBLIC, require_principal
from portal_common.redirects import safe_path
from portal_common.service import portal
from portal_common.web.login import login_required, presents_bearer

from ..security_log.rules import Client
from ..sessions.use_cases import close_session
from ..web import clear_session_cookie, read_token, signed_in
from .rules import looks_like_email, looks_like_member_number
from .use_cases import authenticate

pages = Blueprint("identity_pages", __name__)

LOGIN_FAILED = "Identifiant ou mot de passe incorrect."
BAD_IDENTIFIER = "Saisissez votre n° adhérent (7 chiffres) ou votre adresse e-mail (exemple : nom@entreprise.fr)."
LOGIN_THROTTLED = (
    "Trop de tentatives de connexion pour cet identifiant : patientez quelques minutes, "
    "ou choisissez un nouveau mot de passe avec « Mot de passe oublié »."
)


@pages.get("/internal/login-redirect")
@INTERNAL
def login_redirect():
    """A page's 401 at the gateway: the login page for a browser, a French JSON 401 for an API client."""
    return login_required(request.headers.get("X-Original-URI"), api_client=presents_bearer(request))


@pages.route("/connexion", methods=["GET", "POST"])
@PUBLIC
def login():
    next_path = safe_path(request.values.get("next"))
    if request.method == "GET":
        return render_template(
            "identity/login.html", next_path=next_path, identifier="", error=None, page_title="Connexion"
        )
    identifier = request.form.get("identifier", "").strip()[:254]
    password = request.form.get("password", "")[:1024]
    if identifier and not (looks_like_member_number(identifier) or looks_like_email(identifier)):
        return render_template(
            "identity/login.html",
            next_path=next_path,
            identifier=identifier,
            error=None,
            errors={"identifier": BAD_IDENTIFIER},
            page_title="Connexion",
        ), 422
    found = None
    if identifier and password:
        found = authenticate(portal(), identifier, password, Client.of(request))
    if found is None or found.user is None:
        throttled = found is not None and found.throttled
        page = render_template(
            "identity/login.html",
            next_path=next_path,
            identifier=identifier,
            error=LOGIN_THROTTLED if throttled else LOGIN_FAILED,
            page_title="Connexion",
        )
        if throttled and found is not None:  # docs/security.md AUTH-21: when the next attempt will be evaluated
            return page, 429, {"Retry-After": str(found.retry_after or 1)}
        return page, 401
    return signed_in(found.user, found.member_id, next_path)


@pages.post("/deconnexion")
@AUTHENTICATED
def logout():
    close_session(portal(), read_token(request), client=Client.of(request), user_id=require_principal().user_id)
    flash("Vous êtes déconnecté. À bientôt !", "success")
    response = redirect("/connexion", code=303)
    clear_session_cookie(response)
    return response
