"""The company administrator's API tokens page: create (shown once), list with last use, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request

from portal_common.access import member, require_principal
from portal_common.roles import MemberRole
from portal_common.service import portal
from portal_common.web.responses import no_store

from ..security_log.rules import Client
from ..web import step_up_missing
from . import rules as token_rules
from .queries import for_member
from .use_cases import create, revoke

token_pages = Blueprint("identity_tokens", __name__)

PATH = "/compte/jetons-api"
TITLE = "Jetons d'accès API"


def _page(errors: dict[str, str] | None = None, name: str = "", chosen: tuple[str, ...] = (), status: int = 200):
    principal = require_principal()
    return render_template(
        "identity/api_tokens.html",
        tokens=for_member(portal(), principal.member_id),
        scopes=token_rules.SCOPES,
        errors=errors or {},
        name=name,
        chosen=chosen,
        page_title=TITLE,
    ), status


@token_pages.get(PATH)
@member(MemberRole.ADMIN)
def list_tokens():
    return _page()


@token_pages.post(PATH)
@member(MemberRole.ADMIN)
def create_token():
    if (needed := step_up_missing(PATH)) is not None:
        return needed
    principal = require_principal()
    name = request.form.get("name", "").strip()[:200]
    chosen = [s[:40] for s in request.form.getlist("scopes")][:20]
    errors = {}
    if (problem := token_rules.name_problem(name)) is not None:
        errors["name"] = problem
    if (problem := token_rules.scope_problem(chosen)) is not None:
        errors["scopes"] = problem
    if errors:
        return _page(errors, name, tuple(chosen), 422)
    created = create(
        portal(),
        member_id=principal.member_id,
        name=name,
        scopes=chosen,
        creator_id=principal.user_id,
        client=Client.of(request),
    )
    return no_store(
        make_response(
            render_template(
                "identity/api_token_created.html",
                token=created.token,
                row=created.row,
                scopes=token_rules.SCOPES,
                page_title=TITLE,
            )
        )
    )


@token_pages.post(PATH + "/<token_id>/revocation")
@member(MemberRole.ADMIN)
def revoke_token(token_id: str):
    principal = require_principal()
    if not revoke(
        portal(),
        member_id=principal.member_id,
        token_id=token_id[:36],
        actor_id=principal.user_id,
        client=Client.of(request),
    ):
        abort(404)  # another company's token, or none
    flash("Le jeton est révoqué : il ne donne plus accès à l'API.", "success")
    return redirect(PATH, code=303)
