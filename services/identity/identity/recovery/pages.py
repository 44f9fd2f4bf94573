"""Pages of the forgotten-password flow: identifier and captcha, choice of address, the new password."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request

from portal_common import clock
from portal_common.access import PUBLIC
from portal_common.service import portal
from portal_common.web.csrf import presession
from portal_common.web.responses import token_in_url

from ..login.rules import looks_like_email, looks_like_member_number
from ..security_log.rules import Client
from . import captcha, proof_of_work
from .queries import link_is_valid, reset_choices
from .rules import LinkPurpose, ResetAddress, address_of, step_is_valid, step_signature
from .use_cases import reset_password, send_reset_link, solve_captcha, solve_proof_of_work

recovery_pages = Blueprint("identity_recovery", __name__)

TITLE = "Mot de passe oublié"


def _presession() -> str:
    return presession()


@recovery_pages.get("/connexion/captcha.png")
@PUBLIC
def captcha_image():
    if not _presession():
        abort(404)  # the form page sets the pre-session cookie first
    image, token = captcha.new_challenge(portal().settings.internal_key, _presession(), clock.utcnow())
    response = make_response(image)
    response.headers["Content-Type"] = "image/png"
    secure = portal().settings.secure_cookies
    response.set_cookie(
        captcha.SECURE_COOKIE if secure else captcha.COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        path="/",
        secure=secure,
        max_age=int(captcha.LIFETIME.total_seconds()),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@recovery_pages.route("/connexion/mot-de-passe-oublie", methods=["GET", "POST"])
@PUBLIC
def forgotten():
    if request.method == "GET":
        return _forgotten_page("", {})
    identifier = request.form.get("identifier", "").strip()[:254]
    errors = {}
    if not (looks_like_member_number(identifier) or looks_like_email(identifier)):
        errors["identifier"] = "Saisissez votre n° adhérent (7 chiffres) ou votre adresse e-mail."
    if request.form.get("pow_counter"):
        # The check without sight: the browser's proof of work stands for the image.
        if not solve_proof_of_work(
            portal(), _presession(), request.form.get("pow_challenge", ""), request.form.get("pow_counter", "")
        ):
            errors["captcha"] = "La vérification automatique a échoué ou a expiré : envoyez de nouveau le formulaire."
    else:
        token = request.cookies.get(captcha.SECURE_COOKIE if portal().settings.secure_cookies else captcha.COOKIE, "")
        if not solve_captcha(portal(), _presession(), token, request.form.get("captcha", "")[:20]):
            errors["captcha"] = (
                "Les chiffres saisis ne correspondent pas à l'image : recopiez ceux de la nouvelle image."
            )
    if errors:
        return _forgotten_page(identifier, errors, 422)
    issued = clock.utcnow().isoformat()
    signature = step_signature(portal().settings.internal_key, _presession(), identifier, issued)
    return render_template(
        "identity/forgotten_choice.html",
        identifier=identifier,
        issued=issued,
        signature=signature,
        choices=reset_choices(portal(), identifier),
        page_title=TITLE,
    )


def _forgotten_page(identifier: str, errors: dict[str, str], status: int = 200):  # type: ignore[no-untyped-def]
    """The form with a fresh proof-of-work challenge (signed, bound to the pre-session: nothing is stored)."""

    def challenge() -> str:
        # Called by the template after the form's CSRF token, which gives a first visit its pre-session.
        bound = _presession() or g.get("new_presession", "")
        return proof_of_work.issue(portal().settings.internal_key, bound, clock.utcnow())

    return render_template(
        "identity/forgotten.html",
        identifier=identifier,
        errors=errors,
        pow_challenge=challenge,
        pow_bits=proof_of_work.BITS,
        page_title=TITLE,
    ), status


@recovery_pages.post("/connexion/mot-de-passe-oublie/envoi")
@PUBLIC
def send():
    form = request.form
    identifier = form.get("identifier", "")[:254]
    if not step_is_valid(
        portal().settings.internal_key, _presession(), identifier, form.get("issued", ""), form.get("signature", "")
    ):
        flash("Votre demande a expiré : recommencez, s'il vous plaît.", "error")
        return redirect("/connexion/mot-de-passe-oublie", code=303)
    send_reset_link(portal(), identifier, address_of(form.get("kind", ResetAddress.ACCOUNT)), Client.of(request))
    return render_template("identity/forgotten_sent.html", page_title=TITLE)


@recovery_pages.route("/connexion/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
@PUBLIC
def new_password(token: str):
    token = token[:100]
    if not link_is_valid(portal(), token, LinkPurpose.RESET):
        return token_in_url(make_response(render_template("identity/link_expired.html", page_title=TITLE), 400))
    if request.method == "GET":
        return token_in_url(
            make_response(
                render_template(
                    "identity/password_reset.html", token=token, errors={}, page_title="Choisir un nouveau mot de passe"
                )
            )
        )
    errors = reset_password(
        portal(),
        token,
        new=request.form.get("new_password", "")[:1024],
        confirmation=request.form.get("confirmation", "")[:1024],
        client=Client.of(request),
    )
    if errors and "link" in errors:
        return token_in_url(make_response(render_template("identity/link_expired.html", page_title=TITLE), 400))
    if errors:
        return token_in_url(
            make_response(
                render_template(
                    "identity/password_reset.html",
                    token=token,
                    errors=errors,
                    page_title="Choisir un nouveau mot de passe",
                ),
                422,
            )
        )
    flash("Votre mot de passe a été changé. Connectez-vous avec le nouveau.", "success")
    return token_in_url(redirect("/connexion", code=303))
