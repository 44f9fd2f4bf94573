"""« Portefeuille clients »: an accounting firm's client companies in one table (each service's columns from
its batch read), its CSV, one click to open a client on the right page, and « Déclarer pour mes clients », which
goes from one client's declaration to the next one still to make."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request

from portal_common.access import AUTHENTICATED, require_principal
from portal_common.redirects import safe_path
from portal_common.service import portal

from ..accounts.queries import get_user, may_act_for
from ..firms.queries import is_firm_admin
from ..sessions.use_cases import open_session
from ..web import read_token, set_session_cookie
from . import queries
from .rules import SHOW_LABELS, SORT_LABELS, next_to_declare, parse_show, parse_sort, table, to_csv

pages = Blueprint("identity_portfolio", __name__)

PORTFOLIO = "/portefeuille"


def _rows():  # type: ignore[no-untyped-def]
    principal = require_principal()
    if principal.is_staff:
        abort(404)  # staff reach every company through « Gestion des adhérents »
    return queries.portfolio(portal(), principal.user_id)


@pages.get(PORTFOLIO)
@AUTHENTICATED
def portfolio():
    sort, show = parse_sort(request.args.get("tri")), parse_show(request.args.get("afficher"))
    descending = request.args.get("ordre") == "desc"
    query = request.args.get("q", "").strip()[:100]
    rows = _rows()
    shown = table(rows, sort=sort, descending=descending, show=show, query=query)
    return render_template(
        "identity/portfolio.html",
        rows=shown,
        total=len(rows),
        missing=rows[0].missing if rows else frozenset(),
        to_declare=sum(1 for row in rows if row.to_declare),
        sort=sort,
        descending=descending,
        show=show,
        query=query,
        sort_labels=SORT_LABELS,
        show_labels=SHOW_LABELS,
        current=require_principal().member_id,
        firm_admin=is_firm_admin(portal(), require_principal().user_id),
        page_title="Portefeuille clients",
    )


@pages.get(f"{PORTFOLIO}/export.csv")
@AUTHENTICATED
def portfolio_csv():
    sort, show = parse_sort(request.args.get("tri")), parse_show(request.args.get("afficher"))
    rows = table(
        _rows(),
        sort=sort,
        descending=request.args.get("ordre") == "desc",
        show=show,
        query=request.args.get("q", "").strip()[:100],
    )
    return Response(
        to_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="portefeuille-clients.csv"'},
    )


def _open(member_id: str, target: str) -> Response:
    """Switch the session to the client (as « Changer d'adhérent » does) and land on `target`."""
    principal = require_principal()
    user = get_user(portal(), principal.user_id)
    if user is None:
        abort(401)
    if user.staff_role_set or not may_act_for(portal(), user, member_id):
        abort(404)  # a company one does not act for does not exist for them (as everywhere else)
    opened = open_session(
        portal(), user, member_id=member_id, user_agent=request.user_agent.string, replaces=read_token(request)
    )
    response = redirect(safe_path(target, "/accueil"), code=303)
    set_session_cookie(response, opened.token)
    return response


@pages.post(f"{PORTFOLIO}/ouvrir")
@AUTHENTICATED
def open_client():
    return _open(request.form.get("member_id", "")[:36], request.form.get("page", "/accueil"))


@pages.post(f"{PORTFOLIO}/declarer")
@AUTHENTICATED
def declare_next():
    """The next client with a declaration to make (after `after`, the one just declared), opened on it."""
    after = request.form.get("after", "")[:36] or None
    following = next_to_declare(_rows(), after)
    if following is None or following.declaration_page is None:
        flash("Tous vos clients ont déclaré leurs effectifs.", "success")
        return redirect(PORTFOLIO, code=303)
    return _open(following.client.member_id, following.declaration_page)
