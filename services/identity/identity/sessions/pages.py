"""The gateway's session check, the company switcher and the user's own sessions."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request

from portal_common import passport
from portal_common.access import AUTHENTICATED, INTERNAL, require_principal
from portal_common.service import portal

from ..accounts.queries import get_user, linked_members, may_act_for
from ..api_tokens.rules import bearer_token
from ..api_tokens.use_cases import check as check_token
from ..directory.queries import search
from ..security_log.rules import Client
from ..web import clear_session_cookie, read_token, set_session_cookie
from .queries import live_sessions
from .use_cases import end_other_sessions, end_own_session, open_session, principal_for

session_pages = Blueprint("identity_sessions", __name__)


@session_pages.route("/internal/session", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
@INTERNAL
def session_check():
    """nginx auth_request: 204 with the signed identity, or 401 (403: an API token outside its scopes).

    A bearer token (payroll software) opens only `/api/` paths, never with the rights of a cookie sent alongside.
    """
    try:
        bearer = bearer_token(request.headers.get("Authorization"))
        if bearer is not None or request.headers.get("Authorization", "").lower().startswith("bearer"):
            if bearer is None:
                return "", 401
            checked = check_token(
                portal(),
                bearer,
                method=request.headers.get("X-Original-Method", "GET"),
                original_uri=request.headers.get("X-Original-URI"),
                client=Client.of(request),
            )
            if checked.principal is None:
                return "", checked.outcome.value
            principal = checked.principal
        else:
            principal = principal_for(portal(), read_token(request))
    except Exception:  # a 500 here would become a 500 for every page; deny instead
        logging.getLogger(__name__).exception("session check failed")
        return "", 401
    if principal is None:
        return "", 401
    response = make_response("", 204)
    response.headers[passport.HEADER] = portal().settings.passport_signer.sign(principal)
    return response


@session_pages.route("/changer-adherent", methods=["GET", "POST"])
@AUTHENTICATED
def switch_member():
    principal = require_principal()
    user = get_user(portal(), principal.user_id)
    if user is None:
        abort(401)
    if request.method == "POST":
        member_id = request.form.get("member_id", "")
        if not may_act_for(portal(), user, member_id):
            abort(403)
        # Roles change with the company: a privilege change gets a new session id.
        opened = open_session(
            portal(), user, member_id=member_id, user_agent=request.user_agent.string, replaces=read_token(request)
        )
        response = redirect("/", code=303)
        set_session_cookie(response, opened.token)
        return response
    query = request.args.get("q", "").strip()[:100]
    db = portal().db.session
    if user.staff_role_set:
        choices = [(entry, None) for entry in search(db, query)]
    else:
        choices = [(entry, link) for link, entry in linked_members(db, user) if entry is not None]
    return render_template(
        "identity/switch.html",
        choices=choices,
        query=query,
        is_staff=bool(user.staff_role_set),
        page_title="Changer d'adhérent",
    )


@session_pages.get("/compte/sessions")
@AUTHENTICATED
def list_sessions():
    principal = require_principal()
    rows = live_sessions(portal(), principal.user_id)
    return render_template(
        "identity/sessions.html", rows=rows, current_id=principal.session_ref, page_title="Mes sessions"
    )


@session_pages.post("/compte/sessions/<session_id>/fin")
@AUTHENTICATED
def end_session(session_id: str):
    principal = require_principal()
    if not end_own_session(portal(), principal.user_id, session_id[:36], Client.of(request)):
        abort(404)  # another user's session, or already over
    if session_id == principal.session_ref:
        response = redirect("/connexion", code=303)
        clear_session_cookie(response)
        return response
    flash("La session a été terminée.", "success")
    return redirect("/compte/sessions", code=303)


@session_pages.post("/compte/sessions/autres/fin")
@AUTHENTICATED
def end_others():
    principal = require_principal()
    end_other_sessions(portal(), principal.user_id, principal.session_ref, Client.of(request))
    flash("Vos autres sessions ont été terminées.", "success")
    return redirect("/compte/sessions", code=303)
