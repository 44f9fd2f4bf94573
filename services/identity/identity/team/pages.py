"""Pages of first accounts, "Ajouter une entreprise", activation and invitation links, and the company's users."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request

from portal_common import clock
from portal_common.access import AUTHENTICATED, PUBLIC, member, require_principal
from portal_common.roles import MEMBER_ROLE_LABELS, MemberRole
from portal_common.service import portal
from portal_common.web.csrf import presession
from portal_common.web.responses import token_in_url

from ..directory.queries import entry_of
from ..login.queries import seconds_to_wait
from ..recovery.rules import LinkPurpose
from ..security_log.rules import Client
from ..sessions.use_cases import end_user_sessions
from ..web import step_up_missing
from . import use_cases as team
from .queries import invitation_of, team_of
from .rules import (
    ADMIN,
    DELEGATE_ROLES,
    Codes,
    InviteOutcome,
    Person,
    company_codes_errors,
    normalise_declarant_code,
    parse_roles,
    person_errors,
    role_labels,
    step_is_valid,
    step_signature,
)

team_pages = Blueprint("identity_team", __name__)

FIRST = "Se connecter avec son code adhérent"
ADD = "Ajouter une entreprise"
TEAM = "Utilisateurs de l'entreprise"
WRONG_CODES = "Code adhérent ou n° télédéclarant incorrect."
THROTTLED = "Trop de tentatives pour ce code adhérent : patientez quelques minutes avant de réessayer."


def _codes_form() -> tuple[str, str]:
    number = request.form.get("member_number", "").strip()[:20]
    code = normalise_declarant_code(request.form.get("declarant_code", "")[:40])
    return number, code


def _check_codes(template: str, title: str, **context) -> tuple[team.CodesCheck | None, Response | None]:
    """Format first, then the pair; a French message next to the fields, never a hint of what exists."""
    number, code = _codes_form()
    delegate = request.form.get("delegate") == "1"
    errors = company_codes_errors(number, code)
    if errors:
        return None, make_response(
            render_template(
                template, member_number=number, delegate=delegate, errors=errors, page_title=title, **context
            ),
            422,
        )
    user_id = context.get("user_id")
    checked = team.check_company_codes(portal(), number, code, Client.of(request), user_id=user_id)
    if checked.outcome is not Codes.OK:
        throttled = checked.outcome is Codes.THROTTLED
        errors = {"declarant_code": THROTTLED if throttled else WRONG_CODES}
        answer = make_response(
            render_template(
                template, member_number=number, delegate=delegate, errors=errors, page_title=title, **context
            ),
            429 if throttled else 401,
        )
        if throttled:  # counted per member number (docs/security.md AUTH-20): its wait, as a Retry-After
            answer.headers["Retry-After"] = str(seconds_to_wait(portal(), None, f"company-codes:{number}", None))
        return None, answer
    return checked, None


# --- first account (public) --------------------------------------------------------------------------------


@team_pages.route("/connexion/premier-compte", methods=["GET", "POST"])
@PUBLIC
def first_account():
    if request.method == "GET":
        return render_template(
            "identity/first_account.html", member_number="", delegate=False, errors={}, page_title=FIRST
        )
    checked, refused = _check_codes("identity/first_account.html", FIRST)
    if refused is not None:
        return refused
    issued = clock.utcnow().isoformat()
    signature = step_signature(portal().settings.internal_key, presession(), checked.member.member_id, issued)
    return render_template(
        "identity/first_account_details.html",
        member=checked.member,
        issued=issued,
        signature=signature,
        form={},
        delegate=request.form.get("delegate") == "1",
        errors={},
        page_title=FIRST,
    )


@team_pages.post("/connexion/premier-compte/compte")
@PUBLIC
def first_account_details():
    form = request.form
    member_id, issued, signature = form.get("member_id", "")[:36], form.get("issued", ""), form.get("signature", "")
    if not step_is_valid(portal().settings.internal_key, presession(), member_id, issued, signature):
        flash("Votre demande a expiré : saisissez de nouveau votre code adhérent et votre n° télédéclarant.", "error")
        return redirect("/connexion/premier-compte", code=303)
    entry = entry_of(portal(), member_id)
    if entry is None:
        abort(404)
    values = {
        name: form.get(name, "").strip()[:254]
        for name in ("last_name", "first_name", "job_title", "email", "email_confirmation", "mobile")
    }
    delegate = form.get("delegate") == "1"
    errors = person_errors(values)
    if errors:
        return render_template(
            "identity/first_account_details.html",
            member=entry,
            issued=issued,
            signature=signature,
            form=values,
            delegate=delegate,
            errors=errors,
            page_title=FIRST,
        ), 422
    team.request_first_account(
        portal(),
        member_id,
        Person(
            email=values["email"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            job_title=values["job_title"],
            mobile=values["mobile"],
        ),
        delegate=delegate,
        client=Client.of(request),
    )
    return render_template("identity/first_account_sent.html", email=values["email"], page_title=FIRST)


# --- the e-mailed links (public) ---------------------------------------------------------------------------


def _expired_link() -> Response:
    return token_in_url(
        make_response(render_template("identity/activation_expired.html", page_title="Lien expiré"), 400)
    )


@team_pages.route("/connexion/activation/<token>", methods=["GET", "POST"])
@PUBLIC
def activation(token: str):
    token = token[:100]
    found = invitation_of(portal(), token, LinkPurpose.ACTIVATION)
    if found is None:
        return _expired_link()
    user, members = found
    title = "Activer mon compte"
    if request.method == "GET":
        return token_in_url(
            make_response(
                render_template(
                    "identity/activation.html", token=token, user=user, members=members, errors={}, page_title=title
                )
            )
        )
    errors = team.activate(
        portal(),
        token,
        new=request.form.get("new_password", "")[:1024],
        confirmation=request.form.get("confirmation", "")[:1024],
        client=Client.of(request),
    )
    if errors and "link" in errors:
        return _expired_link()
    if errors:
        return token_in_url(
            make_response(
                render_template(
                    "identity/activation.html", token=token, user=user, members=members, errors=errors, page_title=title
                ),
                422,
            )
        )
    flash("Votre compte est activé : connectez-vous avec votre adresse e-mail et votre mot de passe.", "success")
    return token_in_url(redirect("/connexion", code=303))


@team_pages.route("/connexion/invitation/<token>", methods=["GET", "POST"])
@PUBLIC
def invitation(token: str):
    token = token[:100]
    found = invitation_of(portal(), token, LinkPurpose.INVITATION)
    if found is None:
        return _expired_link()
    user, members = found
    if request.method == "GET":
        return token_in_url(
            make_response(
                render_template(
                    "identity/invitation.html",
                    token=token,
                    user=user,
                    members=members,
                    page_title="Ajouter une entreprise",
                )
            )
        )
    if not team.accept_invitation(portal(), token, Client.of(request)):
        return _expired_link()
    names = ", ".join(m.name for m in members)
    flash(f"{names} : accès ajouté à votre compte. Choisissez l'entreprise avec « Changer d'adhérent ».", "success")
    return token_in_url(redirect("/changer-adherent", code=303))


# --- "Ajouter une entreprise" (signed in) ------------------------------------------------------------------


@team_pages.route("/compte/entreprises/ajouter", methods=["GET", "POST"])
@AUTHENTICATED
def add_company():
    # Adding a company (often a delegation to an accounting firm) is a sensitive change: re-authenticate first.
    if (needed := step_up_missing()) is not None:
        return needed
    principal = require_principal()
    if request.method == "GET":
        return render_template("identity/add_company.html", member_number="", delegate=False, errors={}, page_title=ADD)
    checked, refused = _check_codes("identity/add_company.html", ADD, user_id=principal.user_id)
    if refused is not None:
        return refused
    added = team.add_company(
        portal(),
        principal.user_id,
        checked.member,
        delegate=request.form.get("delegate") == "1",
        client=Client.of(request),
    )
    if added:
        flash(f"{checked.member.name} (n° {checked.member.member_number}) a été ajoutée à votre compte.", "success")
    else:
        flash(f"{checked.member.name} était déjà accessible depuis votre compte.", "info")
    return redirect("/changer-adherent", code=303)


# --- the company's users (its administrator) ---------------------------------------------------------------


def _team_page(errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200):
    principal = require_principal()
    return render_template(
        "identity/team.html",
        team=team_of(portal(), principal.member_id),
        me=principal.user_id,
        role_labels=role_labels,
        labels=MEMBER_ROLE_LABELS,
        delegate_roles=DELEGATE_ROLES,
        errors=errors or {},
        form=form or {},
        invite_roles=set((form or {}).get("roles", "").split(",")) if form else {MemberRole.READ},
        page_title=TEAM,
    ), status


@team_pages.get("/compte/utilisateurs")
@member(ADMIN)
def team_list():
    return _team_page()


@team_pages.post("/compte/utilisateurs/inviter")
@member(ADMIN)
def team_invite():
    principal = require_principal()
    values = {name: request.form.get(name, "").strip()[:254] for name in ("last_name", "first_name", "email")}
    roles = parse_roles(request.form.getlist("roles"))
    errors = person_errors(values, confirm_email=False, with_job=False)
    if not roles:
        errors["roles"] = "Cochez au moins un rôle."
    if errors:
        return _team_page(errors, values | {"roles": ",".join(roles)}, 422)
    try:
        outcome = team.invite_member(
            portal(),
            principal.member_id,
            Person(email=values["email"], first_name=values["first_name"], last_name=values["last_name"]),
            roles=tuple(sorted(roles)),
            invited_by=principal.user_id,
            client=Client.of(request),
        )
    except team.NotFound:
        abort(404)
    if outcome == InviteOutcome.ALREADY:
        return _team_page(
            {"email": "Cette personne a déjà accès à l'entreprise : modifiez ses rôles ci-dessous."},
            values | {"roles": ",".join(roles)},
            422,
        )
    if outcome == InviteOutcome.REFUSED:
        return _team_page(
            {"email": "Impossible d'inviter cette adresse pour le moment : réessayez plus tard."},
            values | {"roles": ",".join(roles)},
            422,
        )
    flash(f"Invitation envoyée à {values['email']}.", "success")
    return redirect("/compte/utilisateurs", code=303)


def _team_change(user_id: str, change, done: str):  # type: ignore[no-untyped-def]
    """Apply an administrator's change to one user of the company: 404 outside it, the refusal on the page."""
    principal = require_principal()
    try:
        problem = change(principal, user_id[:36])
    except team.NotFound:
        abort(404)
    if problem is not None:
        return _team_page({f"roles-{user_id[:36]}": problem}, status=422)
    flash(done, "success")
    return redirect("/compte/utilisateurs", code=303)


@team_pages.post("/compte/utilisateurs/<user_id>/roles")
@member(ADMIN)
def team_roles(user_id: str):
    roles = parse_roles(request.form.getlist("roles"))
    return _team_change(
        user_id,
        lambda principal, target: team.change_roles(
            portal(), principal.member_id, target, roles, actor_id=principal.user_id, client=Client.of(request)
        ),
        "Les rôles ont été enregistrés.",
    )


@team_pages.post("/compte/utilisateurs/<user_id>/retirer")
@member(ADMIN)
def team_remove(user_id: str):
    return _team_change(
        user_id,
        lambda principal, target: team.remove_link(
            portal(), principal.member_id, target, actor_id=principal.user_id, client=Client.of(request)
        ),
        "L'accès a été retiré.",
    )


@team_pages.post("/compte/utilisateurs/<user_id>/sessions/fin")
@member(ADMIN)
def team_end_sessions(user_id: str):
    """An administrator ends every session of one of the company's users."""
    principal = require_principal()
    ended = end_user_sessions(
        portal(), user_id[:36], member_id=principal.member_id, actor_id=principal.user_id, client=Client.of(request)
    )
    if ended is None:
        abort(404)
    flash(f"Sessions terminées : {ended}.", "success")
    if user_id == principal.user_id:
        return redirect("/connexion", code=303)
    return redirect("/compte/utilisateurs", code=303)
