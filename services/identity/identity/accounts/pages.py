"""The signed-in user's own pages: the account and its companies, the password change."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request

from portal_common.access import AUTHENTICATED
from portal_common.redirects import safe_path
from portal_common.service import portal

from ..security_log.rules import Client
from ..team.rules import role_labels
from ..web import current_user, read_token, set_session_cookie, step_up_missing, step_up_page_for
from .queries import linked_members
from .use_cases import change_password as change

account_pages = Blueprint("identity_account", __name__)


@account_pages.get("/compte")
@AUTHENTICATED
def account():
    if "reauthentification" in request.args:  # another service asks for a step-up (members: the SEPA mandate)
        return redirect(step_up_page_for(safe_path(request.args.get("reauthentification"))), code=303)
    user = current_user()
    links = linked_members(portal().db.session, user)
    return render_template(
        "identity/account.html", user=user, links=links, role_labels=role_labels, page_title="Mon compte"
    )


@account_pages.route("/compte/mot-de-passe", methods=["GET", "POST"])
@AUTHENTICATED
def change_password():
    if (needed := step_up_missing()) is not None:
        return needed
    user = current_user()
    if request.method == "GET":
        return render_template(
            "identity/password_change.html", errors={}, end_others=True, page_title="Changer mon mot de passe"
        )
    form = request.form
    changed = change(
        portal(),
        user.id,
        current=form.get("current_password", "")[:1024],
        new=form.get("new_password", "")[:1024],
        confirmation=form.get("confirmation", "")[:1024],
        end_others=form.get("end_others") == "1",
        session_token=read_token(request),
        client=Client.of(request),
    )
    if changed.errors:
        return render_template(
            "identity/password_change.html",
            errors=changed.errors,
            end_others=form.get("end_others") == "1",
            page_title="Changer mon mot de passe",
        ), 422
    flash("Votre mot de passe a été modifié.", "success")
    response = redirect("/compte", code=303)
    set_session_cookie(response, changed.opened.token)
    return response
