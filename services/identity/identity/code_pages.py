"""Pages of the passwordless sign-in: ask for a code by e-mail, then type it."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request

from portal_common.access import PUBLIC
from portal_common.service import portal
from portal_common.web.csrf import presession

from . import accounts, codes
from .domain import looks_like_email
from .pages import signed_in
from .security_log import Client

code_pages = Blueprint("identity_code", __name__, template_folder="templates")

@code_pages.route("/connexion/code", methods=["GET", "POST"])
@PUBLIC
def ask():
    if request.method == "GET":
        return render_template("identity/code_request.html", email="", errors={},
                               page_title="Connexion par code")
    email = request.form.get("email", "").strip()[:254]
    if not looks_like_email(email):
        return render_template("identity/code_request.html", email=email, page_title="Connexion par code",
                               errors={"email": "Saisissez une adresse e-mail valide (exemple : nom@entreprise.fr)."}
                               ), 422
    # The CSRF check already required the pre-session cookie: the code is bound to this browser.
    codes.request_code(portal(), email, presession(), Client.of(request))
    return redirect("/connexion/code/saisie", code=303)

@code_pages.route("/connexion/code/saisie", methods=["GET", "POST"])
@PUBLIC
def enter():
    if request.method == "GET":
        return render_template("identity/code_entry.html", errors={}, expired=False,
                               page_title="Saisir le code reçu")
    code = request.form.get("code", "").strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return render_template("identity/code_entry.html", errors={"code": "Le code comporte 6 chiffres."},
                               expired=False, page_title="Saisir le code reçu"), 422
    verified = codes.verify_code(portal(), presession(), code, Client.of(request))
    if verified.outcome is codes.Outcome.OK:
        user = verified.user
        return signed_in(user, accounts.initial_member(portal(), user, user.email))
    if verified.outcome is codes.Outcome.EXPIRED:
        return render_template("identity/code_entry.html", errors={}, expired=True,
                               page_title="Saisir le code reçu"), 400
    return render_template("identity/code_entry.html", errors={"code": "Code incorrect."}, expired=False,
                           page_title="Saisir le code reçu"), 401
