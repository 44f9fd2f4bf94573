"""The signed-in user's own pages: account, password change, sessions."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import AUTHENTICATED, require_principal
from portal_common.service import portal

from . import accounts, credentials, sessions, step_up
from .domain import safe_next
from .cookies import clear_session_cookie, read_token, set_session_cookie
from .models import User
from .security_log import Client, record
from .team_rules import role_labels

account_pages = Blueprint("identity_account", __name__, template_folder="templates")


def _user() -> User:
    user = accounts.get_user(portal(), require_principal().user_id)
    if user is None:
        abort(401)
    return user


@account_pages.get("/compte")
@AUTHENTICATED
def account():
    if "reauthentification" in request.args:  # another service asks for a step-up (members: the SEPA mandate)
        return redirect(step_up.page_for(safe_next(request.args.get("reauthentification"))), code=303)
    user = _user()
    links = sessions.linked_members(portal().db.session, user)
    return render_template("identity/account.html", user=user, links=links, role_labels=role_labels,
                           page_title="Mon compte")


@account_pages.route("/compte/mot-de-passe", methods=["GET", "POST"])
@AUTHENTICATED
def change_password():
    if (needed := step_up.missing()) is not None:
        return needed
    user = _user()
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
