"""Pages of the e-mail-address change: the request (after a step-up) and the link e-mailed to the new address."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request

from portal_common.access import AUTHENTICATED, PUBLIC
from portal_common.service import portal
from portal_common.web.responses import token_in_url

from ..security_log.rules import Client
from ..web import current_user, step_up_missing
from .queries import pending
from .rules import ChangeOutcome
from .use_cases import confirm, request_change

email_change_pages = Blueprint("identity_email_change", __name__)

EMAIL_TITLE = "Changer mon adresse e-mail"


@email_change_pages.route("/compte/adresse-e-mail", methods=["GET", "POST"])
@AUTHENTICATED
def change_email():
    """A sensitive change (step-up first): the new address confirms itself by a one-time link."""
    if (needed := step_up_missing()) is not None:
        return needed
    user = current_user()
    if request.method == "GET":
        return render_template("identity/email_change.html", user=user, form={}, errors={}, page_title=EMAIL_TITLE)
    form = {name: request.form.get(name, "").strip()[:254] for name in ("new_email", "confirmation")}
    errors = request_change(
        portal(), user.id, new=form["new_email"], confirmation=form["confirmation"], client=Client.of(request)
    )
    if errors:
        return render_template(
            "identity/email_change.html", user=user, form=form, errors=errors, page_title=EMAIL_TITLE
        ), 422
    return render_template("identity/email_change_sent.html", email=form["new_email"].lower(), page_title=EMAIL_TITLE)


@email_change_pages.route("/connexion/nouvelle-adresse-e-mail/<token>", methods=["GET", "POST"])
@PUBLIC
def confirm_email(token: str):
    """The link e-mailed to the new address: public (often opened in another browser), the token is the right."""
    token = token[:600]
    title = "Confirmer ma nouvelle adresse e-mail"
    expired = make_response(render_template("identity/email_change_expired.html", page_title="Lien expiré"), 400)
    if request.method == "GET":
        found = pending(portal(), token)
        if found is None:
            return token_in_url(expired)
        return token_in_url(
            make_response(
                render_template(
                    "identity/email_change_confirm.html", token=token, new_email=found.new_email, page_title=title
                )
            )
        )
    outcome = confirm(portal(), token, Client.of(request))
    if outcome == ChangeOutcome.EXPIRED:
        return token_in_url(expired)
    if outcome == ChangeOutcome.TAKEN:
        return token_in_url(
            make_response(
                render_template("identity/email_change_expired.html", taken=True, page_title="Adresse indisponible"),
                409,
            )
        )
    flash("Votre adresse e-mail est modifiée : connectez-vous avec la nouvelle adresse.", "success")
    return token_in_url(redirect("/connexion", code=303))  # every session of the account has ended
