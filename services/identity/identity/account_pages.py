"""The signed-in user's own pages: account, password change, sessions."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request

from portal_common.access import AUTHENTICATED, PUBLIC, require_principal
from portal_common.service import portal
from portal_common.web.responses import token_in_url

from . import credentials, email_change, sessions, step_up
from .cookies import clear_session_cookie, read_token, set_session_cookie
from .current import current_user
from .domain import safe_next
from .security_log import Client, record
from .team_rules import role_labels

account_pages = Blueprint("identity_account", __name__, template_folder="templates")


@account_pages.get("/compte")
@AUTHENTICATED
def account():
    if "reauthentification" in request.args:  # another service asks for a step-up (members: the SEPA mandate)
        return redirect(step_up.page_for(safe_next(request.args.get("reauthentification"))), code=303)
    user = current_user()
    links = sessions.linked_members(portal().db.session, user)
    return render_template("identity/account.html", user=user, links=links, role_labels=role_labels,
                           page_title="Mon compte")


@account_pages.route("/compte/mot-de-passe", methods=["GET", "POST"])
@AUTHENTICATED
def change_password():
    if (needed := step_up.missing()) is not None:
        return needed
    user = current_user()
    if request.method == "GET":
        return render_template("identity/password_change.html", errors={}, end_others=True,
                               page_title="Changer mon mot de passe")
    form = request.form
    change = credentials.change_password(
        portal(), user.id, current=form.get("current_password", "")[:1024], new=form.get("new_password", "")[:1024],
        confirmation=form.get("confirmation", "")[:1024], end_others=form.get("end_others") == "1",
        session_token=read_token(request), client=Client.of(request))
    if change.errors:
        return render_template("identity/password_change.html", errors=change.errors,
                               end_others=form.get("end_others") == "1", page_title="Changer mon mot de passe"), 422
    flash("Votre mot de passe a été modifié.", "success")
    response = redirect("/compte", code=303)
    set_session_cookie(response, change.opened.token)
    return response


EMAIL_TITLE = "Changer mon adresse e-mail"


@account_pages.route("/compte/adresse-e-mail", methods=["GET", "POST"])
@AUTHENTICATED
def change_email():
    """A sensitive change (step-up first): the new address confirms itself by a one-time link."""
    if (needed := step_up.missing()) is not None:
        return needed
    user = current_user()
    if request.method == "GET":
        return render_template("identity/email_change.html", user=user, form={}, errors={}, page_title=EMAIL_TITLE)
    form = {name: request.form.get(name, "").strip()[:254] for name in ("new_email", "confirmation")}
    errors = email_change.request_change(portal(), user.id, new=form["new_email"], confirmation=form["confirmation"],
                                         client=Client.of(request))
    if errors:
        return render_template("identity/email_change.html", user=user, form=form, errors=errors,
                               page_title=EMAIL_TITLE), 422
    return render_template("identity/email_change_sent.html", email=form["new_email"].lower(),
                           page_title=EMAIL_TITLE)


@account_pages.route("/connexion/nouvelle-adresse-e-mail/<token>", methods=["GET", "POST"])
@PUBLIC
def confirm_email(token: str):
    """The link e-mailed to the new address: public (often opened in another browser), the token is the right."""
    token = token[:600]
    title = "Confirmer ma nouvelle adresse e-mail"
    expired = make_response(render_template("identity/email_change_expired.html", page_title="Lien expiré"), 400)
    if request.method == "GET":
        found = email_change.pending(portal(), token)
        if found is None:
            return token_in_url(expired)
        return token_in_url(make_response(render_template("identity/email_change_confirm.html", token=token,
                                                      new_email=found.new_email, page_title=title)))
    outcome = email_change.confirm(portal(), token, Client.of(request))
    if outcome == "expired":
        return token_in_url(expired)
    if outcome == "taken":
        return token_in_url(make_response(render_template("identity/email_change_expired.html", taken=True,
                                                      page_title="Adresse indisponible"), 409))
    flash("Votre adresse e-mail est modifiée : connectez-vous avec la nouvelle adresse.", "success")
    return token_in_url(redirect("/connexion", code=303))  # every session of the account has ended


@account_pages.get("/compte/sessions")
@AUTHENTICATED
def list_sessions():
    principal = require_principal()
    rows = sessions.live_sessions(portal(), principal.user_id)
    return render_template("identity/sessions.html", rows=rows, current_id=principal.session_ref,
                           page_title="Mes sessions")


@account_pages.post("/compte/sessions/<session_id>/fin")
@AUTHENTICATED
def end_session(session_id: str):
    principal = require_principal()
    with portal().uow() as tx:
        if not sessions.end_sessions(tx.session, principal.user_id, session_id=session_id[:36]):
            abort(404)  # another user's session, or already over
        record(tx.session, "session_end", "success", Client.of(request), user_id=principal.user_id)
        tx.commit()
    if session_id == principal.session_ref:
        response = redirect("/connexion", code=303)
        clear_session_cookie(response)
        return response
    flash("La session a été terminée.", "success")
    return redirect("/compte/sessions", code=303)


@account_pages.post("/compte/sessions/autres/fin")
@AUTHENTICATED
def end_other_sessions():
    principal = require_principal()
    with portal().uow() as tx:
        sessions.end_sessions(tx.session, principal.user_id, keep=principal.session_ref)
        record(tx.session, "session_end", "success", Client.of(request), user_id=principal.user_id)
        tx.commit()
    flash("Vos autres sessions ont été terminées.", "success")
    return redirect("/compte/sessions", code=303)
