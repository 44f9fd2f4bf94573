"""« Collaborateurs du cabinet »: an accounting firm's administrator invites collaborators by e-mail, gives each a
share of the firm's clients with roles per client, changes it or removes the collaborator."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import AUTHENTICATED, require_principal
from portal_common.roles import MEMBER_ROLE_LABELS
from portal_common.service import portal

from ..security_log.rules import Client
from ..team.rules import DELEGATE_ROLES, InviteOutcome, Person, person_errors, role_labels
from . import use_cases as firms
from .queries import collaborator_of, firm_view
from .rules import parse_grants

pages = Blueprint("identity_firms", __name__)

COLLABORATORS = "/portefeuille/collaborateurs"
TITLE = "Collaborateurs du cabinet"


def _view():  # type: ignore[no-untyped-def]
    view = firm_view(portal(), require_principal().user_id)
    if view is None:
        abort(404)  # only an accounting firm's administrator has collaborators
    return view


def _grants(view):  # type: ignore[no-untyped-def]
    ids = [entry.member_id for entry, _ in view.clients]
    return parse_grants(
        (v[:36] for v in request.form.getlist("clients")),
        {member_id: request.form.getlist(f"roles-{member_id}") for member_id in ids},
        ids,
    )


def _render(view, *, errors=None, form=None, grants=None, status=200):  # type: ignore[no-untyped-def]
    return render_template(
        "identity/firm_collaborators.html",
        view=view,
        errors=errors or {},
        form=form or {},
        grants=grants or {},
        labels={code: label for code, label in MEMBER_ROLE_LABELS.items() if code in DELEGATE_ROLES},
        role_labels=role_labels,
        page_title=TITLE,
    ), status


@pages.get(COLLABORATORS)
@AUTHENTICATED
def collaborators():
    return _render(_view())


@pages.post(COLLABORATORS)
@AUTHENTICATED
def invite():
    view = _view()
    values = {name: request.form.get(name, "").strip()[:254] for name in ("last_name", "first_name", "email")}
    grants = _grants(view)
    errors = person_errors(values, confirm_email=False, with_job=False)
    if errors:
        return _render(view, errors=errors, form=values, grants=grants, status=422)
    try:
        outcome, errors = firms.invite_collaborator(
            portal(),
            require_principal().user_id,
            Person(email=values["email"], first_name=values["first_name"], last_name=values["last_name"]),
            grants,
            client=Client.of(request),
        )
    except firms.NotFound:
        abort(404)
    if outcome in (InviteOutcome.ALREADY, InviteOutcome.REFUSED):
        errors = {
            "email": "Cette personne fait déjà partie d'un cabinet ou a déjà accès à ce client."
            if outcome == InviteOutcome.ALREADY
            else "Impossible d'inviter cette adresse pour le moment : réessayez plus tard."
        }
    if errors:
        return _render(view, errors=errors, form=values, grants=grants, status=422)
    flash(f"Invitation envoyée à {values['email']}.", "success")
    return redirect(COLLABORATORS, code=303)


def _collaborator_or_404(user_id: str):  # type: ignore[no-untyped-def]
    """The firm's view and one of its collaborators; 404 for anyone who is not the signed-in firm's."""
    found = collaborator_of(portal(), require_principal().user_id, user_id[:36])
    if found is None:
        abort(404)
    return found


@pages.get(f"{COLLABORATORS}/<user_id>")
@AUTHENTICATED
def collaborator(user_id: str):
    view, person = _collaborator_or_404(user_id)
    return _edit(view, person, person.grants)


def _edit(view, person, grants, errors=None, status=200):  # type: ignore[no-untyped-def]
    return render_template(
        "identity/firm_collaborator.html",
        view=view,
        person=person,
        grants=grants,
        errors=errors or {},
        labels={code: label for code, label in MEMBER_ROLE_LABELS.items() if code in DELEGATE_ROLES},
        page_title=f"Clients confiés à {person.user.display_name}",
    ), status


@pages.post(f"{COLLABORATORS}/<user_id>")
@AUTHENTICATED
def save_collaborator(user_id: str):
    view, person = _collaborator_or_404(user_id)
    grants = _grants(view)
    try:
        errors = firms.set_grants(
            portal(), require_principal().user_id, person.user.id, grants, client=Client.of(request)
        )
    except firms.NotFound:
        abort(404)
    if errors:
        return _edit(view, person, grants, errors, 422)
    flash(f"Les clients et rôles de {person.user.display_name} ont été enregistrés.", "success")
    return redirect(COLLABORATORS, code=303)


@pages.post(f"{COLLABORATORS}/<user_id>/retirer")
@AUTHENTICATED
def remove(user_id: str):
    try:
        firms.remove_collaborator(portal(), require_principal().user_id, user_id[:36], client=Client.of(request))
    except firms.NotFound:
        abort(404)
    flash("Le collaborateur a été retiré du cabinet : il n'a plus accès à vos clients.", "success")
    return redirect(COLLABORATORS, code=303)
