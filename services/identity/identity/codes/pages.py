"""Pages of the passwordless sign-in: ask for a code by e-mail, then type it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request

from portal_common.access import PUBLIC
from portal_common.service import portal
from portal_common.web.csrf import presession

from ..accounts.queries import initial_member
from ..login.rules import looks_like_email
from ..security_log.rules import Client
from ..web import signed_in
from .rules import Outcome, looks_like_code
from .use_cases import request_code, verify_code

code_pages = Blueprint("identity_code", __name__)


@code_pages.route("/connexion/code", methods=["GET", "POST"])
@PUBLIC
def ask():
    if request.method == "GET":
        return render_template("identity/code_request.html", email="", errors={}, page_title="Connexion par code")
    email = request.form.get("email", "").strip()[:254]
    if not looks_like_email(email):
        return render_template(
            "identity/code_request.html",
            email=email,
            page_title="Connexion par code",
            errors={"email": "Saisissez une adresse e-mail valide (exemple : nom@entreprise.fr)."},
        ), 422
    # The CSRF check already required the pre-session cookie: the code is bound to this browser.
    request_code(portal(), email, presession(), Client.of(request))
    return redirect("/connexion/code/saisie", code=303)


@code_pages.route("/connexion/code/saisie", methods=["GET", "POST"])
@PUBLIC
def enter():
    if request.method == "GET":
        return render_template("identity/code_entry.html", errors={}, expired=False, page_title="Saisir le code reçu")
    code = request.form.get("code", "").strip().replace(" ", "")
    if not looks_like_code(code):
        return render_template(
            "identity/code_entry.html",
            errors={"code": "Le code comporte 6 chiffres."},
            expired=False,
            page_title="Saisir le code reçu",
        ), 422
    verified = verify_code(portal(), presession(), code, Client.of(request))
    if verified.outcome is Outcome.OK:
        user = verified.user
        return signed_in(user, initial_member(portal(), user, user.email))
    if verified.outcome is Outcome.EXPIRED:
        return render_template(
            "identity/code_entry.html", errors={}, expired=True, page_title="Saisir le code reçu"
        ), 400
    return render_template(
        "identity/code_entry.html", errors={"code": "Code incorrect."}, expired=False, page_title="Saisir le code reçu"
    ), 401
