"""Pages of the employee record: the list of the current company, the detail, hire, correction, post, exit."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for

from portal_common.access import member, require_principal, staff
from portal_common.clock import today
from portal_common.formats import date_fr
from portal_common.roles import EMPLOYEE_KEEPERS, EMPLOYEE_READERS, OFFICE_STAFF, VISIT_ORGANISERS
from portal_common.service import portal
from portal_common.validators import nir_in
from portal_common.web import accepts
from portal_common.web.conflicts import changed_fields

from ..models import Employee
from ..web import date_or_none, filter_params, list_filters, search_term
from . import clients, queries, use_cases
from .communes import communes
from .queries import PAGE_SIZE
from .rules import (
    CONTRACTS,
    DETERMINANTS,
    EXIT_REASONS,
    ExitCommand,
    HireCommand,
    HireRejected,
    ListStatus,
    PostChange,
    StaleEmployee,
    nir_to_find,
)
from .rules.labels import (
    CATEGORY_LABELS,
    CONTRACT_LABELS,
    EXIT_REASON_LABELS,
    HISTORY_LABELS,
    SEX_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    category_title,
)
from .rules.records import KEEP_STORED_NIR, STALE_EMPLOYEE
from .rules.reveals import RevealCapReached, RevealRefused

pages = Blueprint("workforce_pages", __name__)
log = logging.getLogger(__name__)

# VISIT_ORGANISERS may ask scheduling for a visit (its /rendez-vous/demande rule): the list links there.
NIR_IN_URL = (
    "Pour rechercher un salarié par son numéro de sécurité sociale, saisissez-le dans ce champ puis "
    "cliquez sur « Rechercher » : le numéro n'est jamais placé dans l'adresse de la page."
)
DATE_FIELDS = ("birth_date", "hire_date")
TEXT_FIELDS = (
    "last_name",
    "birth_name",
    "first_names",
    "sex",
    "birth_commune",
    "birth_country",
    "nir",
    "post",
    "pcs_code",
    "contract",
    "sir_justification",
    "convocation_constraints",
    "comment",
)


@pages.app_context_processor
def _labels() -> dict:
    return {
        "contract_labels": CONTRACT_LABELS,
        "category_labels": CATEGORY_LABELS,
        "category_title": category_title,
        "exit_reason_labels": EXIT_REASON_LABELS,
        "history_labels": HISTORY_LABELS,
        "sex_labels": SEX_LABELS,
    }


def _list_page(
    filters: queries.EmployeeFilter,
    rows: list[Employee],
    *,
    total: int,
    page: int = 1,
    pages_count: int = 1,
    search_error: str | None = None,
    nir_search: bool = False,
    letters: list[str] | None = None,
):
    principal = require_principal()
    day = today()
    # Last visit and next visit due come from scheduling, one batch read for the page (None: unavailable).
    visits = clients.visit_dates(portal(), principal.member_id, [e.id for e in rows])
    return render_template(
        "workforce/list.html",
        employees=[queries.employee_as_dict(e, day) for e in rows],
        visits=visits,
        today=day,
        total=total,
        page=page,
        pages_count=pages_count,
        filters=filters,
        params=filter_params(filters),
        letters=queries.letters_present(principal.member_id, filters.status, day) if letters is None else letters,
        search_error=search_error,
        nir_search=nir_search,
        can_hire=principal.has_member_role(*EMPLOYEE_KEEPERS),
        status_labels=STATUS_LABELS,
        sort_labels=SORT_LABELS,
        can_request_visit=principal.has_member_role(*VISIT_ORGANISERS),
        page_title="Mes salariés",
    ), 422 if search_error else 200


@pages.get("/salaries")
@member(*EMPLOYEE_READERS)
def employee_list():
    principal = require_principal()
    filters = list_filters(request.args)
    day = today()
    total, letters = queries.count_and_letters(principal.member_id, filters, day)
    pages_count = max(1, -(-total // PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages_count)
    rows = queries.list_employees(principal.member_id, filters, day, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    refused = NIR_IN_URL if nir_in(search_term(request.args)) else None
    return _list_page(
        filters, rows, total=total, page=page, pages_count=pages_count, search_error=refused, letters=letters
    )


@pages.post("/salaries/recherche")
@member(*EMPLOYEE_READERS)
def employee_search():
    """The search form posts here, so that a NIR typed in it never reaches a URL (browser history, access logs).

    A search by name becomes the list's bookmarkable address (303); a NIR is found by its blind index and
    answered here: the employee's page when exactly one has it, else the list of those found."""
    term = search_term(request.form)
    run = nir_in(term)
    if run is None:
        return redirect(url_for("workforce_pages.employee_list", **filter_params(list_filters(request.form))), 303)
    nir, problem = nir_to_find(run)
    principal = require_principal()
    found = queries.employees_with_nir(principal.member_id, portal().settings.nir_vault.blind_index(nir)) if nir else []
    # An access by NIR: who and how many, never the number (docs/security.md AZ-08).
    log.info("employees searched by NIR", extra={"user_id": principal.user_id, "found": len(found)})
    if len(found) == 1:
        return redirect(f"/salaries/{found[0].id}", 303)
    # Present and left alike: a NIR names one person, whatever the list's filters were.
    filters = queries.EmployeeFilter(status=ListStatus.ALL)
    return _list_page(filters, found, total=len(found), search_error=problem, nir_search=problem is None)


def _determinant_values(form) -> dict:
    return {
        "determinants": [code for code in form.getlist("determinants") if code],
        "adapted_undisclosed": form.get("adapted_undisclosed") == "on",
        "sir_justification": form.get("sir_justification", "").strip(),
    }


# The text areas of the record form (record_form.html); `comment` is multi-line everywhere.
RECORD_TEXT_AREAS = ("sir_justification", "convocation_constraints")


def _record_form(form) -> tuple[dict, HireCommand]:
    values = {name: form.get(name, "").strip() for name in (*TEXT_FIELDS, *DATE_FIELDS)}
    values.update(_determinant_values(form), multi_employer=form.get("multi_employer") == "on")
    command = HireCommand(
        **{name: values[name] for name in TEXT_FIELDS},
        **{name: date_or_none(values[name]) for name in DATE_FIELDS},
        multi_employer=values["multi_employer"],
        determinants=tuple(values["determinants"]),
        adapted_undisclosed=values["adapted_undisclosed"],
    )
    return values, command


def _form_options() -> dict:
    policy = portal().settings.category_policy
    return {
        "contract_options": [(code, CONTRACT_LABELS[code]) for code in CONTRACTS],
        "determinant_list": DETERMINANTS,
        "policy": policy,
    }


def _warn(warnings: list[str]) -> None:
    for text in warnings:
        flash(f"Attention : {text} Vérifiez le numéro de sécurité sociale.", "info")


def _record_page(template_values: dict, errors: dict, *, status: int | None = None, **extra):
    response = make_response(
        render_template(
            "workforce/record_form.html", values=template_values, errors=errors, **_form_options(), **extra
        ),
        status or (422 if errors else 200),
    )
    # A refused form shows back the NIR its user just typed: never kept by a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.route("/salaries/nouveau", methods=["GET", "POST"])
@accepts(multiline=RECORD_TEXT_AREAS)
@member(*EMPLOYEE_KEEPERS)
def new_employee():
    principal = require_principal()
    errors: dict[str, str] = {}
    values, command = _record_form(request.form)
    if request.method == "POST":
        try:
            saved = use_cases.hire_employee(portal(), principal.member_id, command, actor=principal.user_id)
        except HireRejected as exc:
            errors = exc.errors
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
        else:
            flash(f"Salarié {saved.employee.first_names} {saved.employee.last_name} ajouté.", "success")
            _warn(saved.warnings)
            return redirect("/salaries")
    return _record_page(
        values,
        errors,
        page_title="Ajouter un salarié",
        action="/salaries/nouveau",
        submit="Ajouter le salarié",
        cancel="/salaries",
    )


COMMUNE_QUERY_MAX = 60


@pages.get("/salaries/communes")
@member(*EMPLOYEE_KEEPERS)
def commune_suggestions():
    """Up to 10 communes for the birthplace being typed (name or code), for the record form's datalist: public
    reference data (INSEE), asked for by those who may fill the form."""
    typed = request.args.get("q", "")[:COMMUNE_QUERY_MAX]
    found = communes().suggest(typed)
    response = jsonify([{"code": c.code, "name": c.name, "label": c.label} for c in found])
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _member_employee(employee_id: str) -> Employee:
    employee = queries.visible_employee(employee_id, require_principal())
    if employee is None:
        abort(404)
    return employee


@pages.get("/salaries/<employee_id>")
@member(*EMPLOYEE_READERS)
def employee_detail(employee_id: str):
    principal = require_principal()
    employee = _member_employee(employee_id)
    history = [queries.history_as_dict(item) for item in queries.history_of(employee.id)]
    shown = queries.employee_as_dict(employee, today())
    return render_template(
        "workforce/detail.html",
        e=shown,
        history=history,
        determinant_labels={d.code: d for d in DETERMINANTS},
        can_edit=principal.has_member_role(*EMPLOYEE_KEEPERS),
        page_title=f"{shown['display_name']} {employee.first_names}",
    )


def _stored_values(employee: Employee) -> dict:
    """The correction form's starting values. The NIR field starts empty: the stored number never goes back to
    an employer or a firm (docs/security.md DP-02); its mask is shown beside, and typing a whole new number
    replaces it."""
    values = {name: getattr(employee, name) or "" for name in TEXT_FIELDS if name != "nir"}
    values.update(
        nir="",
        birth_date=employee.birth_date.isoformat(),
        hire_date=employee.hire_date.isoformat(),
        multi_employer=employee.multi_employer,
        determinants=list(employee.determinant_codes),
        adapted_undisclosed=employee.adapted_undisclosed,
    )
    if values["birth_name"] == values["last_name"]:
        values["birth_name"] = ""
    # « Mulhouse (68224) », as the suggestions read; a code the list does not know stays as it is.
    values["birth_commune"] = communes().label_of(employee.birth_commune) or values["birth_commune"]
    return values


# What a stale save compares, in the form's order, with the French names the form shows.
COMPARED_FIELDS = {
    "last_name": "Nom d'usage",
    "birth_name": "Nom de naissance",
    "first_names": "Prénoms",
    "sex": "Sexe",
    "birth_date": "Date de naissance",
    "birth_commune": "Commune de naissance",
    "birth_country": "Pays de naissance",
    "hire_date": "Date d'embauche",
    "post": "Poste de travail",
    "pcs_code": "Code PCS-ESE",
    "contract": "Contrat",
    "multi_employer": "Salarié multi-employeurs",
    "determinants": "Déterminants de suivi",
    "sir_justification": "Justification SIR",
    "adapted_undisclosed": "Suivi adapté, motif non communiqué",
    "convocation_constraints": "Contraintes de convocation",
    "comment": "Commentaire",
}


def _shown_value(name: str, value) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if name in DATE_FIELDS and value:
        parsed = date_or_none(value)
        return parsed.strftime("%d/%m/%Y") if parsed else str(value)
    if name == "sex":
        return SEX_LABELS.get(value, value)
    if name == "contract":
        return CONTRACT_LABELS.get(value, value)
    if name == "determinants":
        return ", ".join(value) or "aucun"
    return str(value or "")


def _differences(current: dict, typed: dict, employee: Employee) -> list[dict]:
    """The fields where the record now differs from what the user typed: (label, theirs, yours)."""
    rows = [
        {"label": label, "current": _shown_value(name, current[name]), "typed": _shown_value(name, typed[name])}
        for name, label in COMPARED_FIELDS.items()
        if _shown_value(name, current[name]) != _shown_value(name, typed[name])
    ]
    if typed["nir"]:  # a new number typed: the record's one is shown masked, never in clear
        rows.append(
            {"label": "N° de sécurité sociale", "current": employee.nir_masked, "typed": "nouveau numéro saisi"}
        )
    return rows


def _version_of(form) -> int:
    raw = form.get("version", "")
    # A form without its version is never taken for the latest one: -1 matches no saved version.
    return int(raw) if raw.isdigit() and len(raw) < 10 else -1


@pages.route("/salaries/<employee_id>/modifier", methods=["GET", "POST"])
@accepts(multiline=RECORD_TEXT_AREAS)
@member(*EMPLOYEE_KEEPERS)
def edit_employee(employee_id: str):
    principal = require_principal()
    employee = _member_employee(employee_id)
    errors: dict[str, str] = {}
    differences: list[dict] = []
    version = employee.version
    if request.method == "POST":
        values, command = _record_form(request.form)
        try:
            saved = use_cases.correct_employee(
                portal(), employee.id, command, actor=principal.user_id, expected_version=_version_of(request.form)
            )
        except StaleEmployee:
            # Someone saved meanwhile: nothing written; their values beside what this user typed, which stays
            # in the form with the new version, so saving again is a choice made knowing both.
            portal().db.session.refresh(employee)
            version = employee.version
            differences = _differences(_stored_values(employee), values, employee)
            errors = {"version": STALE_EMPLOYEE}
            flash(STALE_EMPLOYEE, "error")
        except HireRejected as exc:
            errors = exc.errors
            version = _version_of(request.form)
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
        else:
            flash("La fiche du salarié a été mise à jour.", "success")
            _warn(saved.warnings)
            return redirect(f"/salaries/{employee.id}")
    else:
        values = _stored_values(employee)
    return _record_page(
        values,
        errors,
        page_title="Modifier la fiche du salarié",
        action=f"/salaries/{employee.id}/modifier",
        submit="Enregistrer les modifications",
        cancel=f"/salaries/{employee.id}",
        stored_nir_masked=employee.nir_masked,
        keep_nir_hint=KEEP_STORED_NIR,
        version=version,
        differences=differences,
        status=409 if differences or "version" in errors else None,
    )


@pages.route("/salaries/<employee_id>/nouveau-poste", methods=["GET", "POST"])
@accepts(multiline=RECORD_TEXT_AREAS)
@member(*EMPLOYEE_KEEPERS)
def new_post(employee_id: str):
    principal = require_principal()
    employee = _member_employee(employee_id)
    errors: dict[str, str] = {}
    values = {
        "post": request.form.get("post", "").strip(),
        "pcs_code": request.form.get("pcs_code", "").strip(),
        "from_date": request.form.get("from_date", "").strip(),
        **_determinant_values(request.form),
    }
    if request.method == "POST":
        change = PostChange(
            post=values["post"],
            pcs_code=values["pcs_code"],
            from_date=date_or_none(values["from_date"]),
            determinants=tuple(values["determinants"]),
            sir_justification=values["sir_justification"],
            adapted_undisclosed=values["adapted_undisclosed"],
        )
        try:
            use_cases.change_post(
                portal(), employee.id, change, actor=principal.user_id, expected_version=_version_of(request.form)
            )
        except StaleEmployee:
            # Someone changed the record meanwhile: nothing written; the current post beside what was typed.
            portal().db.session.refresh(employee)
            errors = {"version": STALE_EMPLOYEE}
            flash(STALE_EMPLOYEE, "error")
        except HireRejected as exc:
            errors = exc.errors
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
        else:
            flash("Le nouveau poste est enregistré.", "success")
            return redirect(f"/salaries/{employee.id}")
    else:
        values.update(
            determinants=list(employee.determinant_codes),
            adapted_undisclosed=employee.adapted_undisclosed,
            sir_justification=employee.sir_justification or "",
        )
    return render_template(
        "workforce/post_form.html",
        e=queries.employee_as_dict(employee, today()),
        values=values,
        errors=errors,
        version=employee.version,
        differences=changed_fields(
            {"post": employee.post, "from_date": date_fr(employee.post_since or employee.hire_date)},
            {"post": values["post"], "from_date": date_fr(date_or_none(values["from_date"]))},
            {"post": "Poste", "from_date": "Depuis le"},
        )
        if "version" in errors
        else [],
        page_title="Nouveau poste",
        **_form_options(),
    ), (409 if "version" in errors else 422) if errors else 200


@pages.route("/salaries/<employee_id>/sortie", methods=["GET", "POST"])
@member(*EMPLOYEE_KEEPERS)
def exit_page(employee_id: str):
    principal = require_principal()
    employee = _member_employee(employee_id)
    errors: dict[str, str] = {}
    values = {"exit_date": request.form.get("exit_date", "").strip(), "reason": request.form.get("reason", "")}
    if request.method == "POST":
        try:
            use_cases.exit_employee(
                portal(),
                employee.id,
                ExitCommand(date_or_none(values["exit_date"]), values["reason"]),
                actor=principal.user_id,
            )
        except HireRejected as exc:
            errors = exc.errors
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
        else:
            flash(f"La sortie de {employee.first_names} {employee.last_name} est enregistrée.", "success")
            return redirect(f"/salaries/{employee.id}")
    return render_template(
        "workforce/exit_form.html",
        e=queries.employee_as_dict(employee, today()),
        values=values,
        errors=errors,
        page_title="Sortir un salarié",
        reason_options=[(code, EXIT_REASON_LABELS[code]) for code in EXIT_REASONS],
    ), 422 if errors else 200


# --- staff: one NIR in clear, with a reason ----------------------------------------------------------------


def _reveal_page(employee: Employee, *, reason: str = "", errors: dict | None = None, nir: str = "", status=200):
    principal = require_principal()
    response = make_response(
        render_template(
            "workforce/nir_reveal.html",
            e=queries.employee_as_dict(employee, today()),
            reason=reason,
            errors=errors or {},
            nir=nir,
            done_today=queries.nir_reveals_on(today(), principal.user_id),
            cap=portal().settings.nir_reveals_per_day,
            page_title="Consulter le numéro de sécurité sociale",
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"  # the answer may hold the number in clear
    return response


@pages.get("/salaries/<employee_id>/numero-securite-sociale")
@staff(*OFFICE_STAFF)
def nir_reveal_form(employee_id: str):
    return _reveal_page(_member_employee(employee_id))


@pages.post("/salaries/<employee_id>/numero-securite-sociale")
@staff(*OFFICE_STAFF)
def nir_reveal(employee_id: str):
    """Office staff see one stored NIR in clear, giving a reason; each reveal is recorded and counted."""
    principal = require_principal()
    employee = _member_employee(employee_id)
    reason = request.form.get("reason", "")
    try:
        nir = use_cases.reveal_nir(
            portal(), employee.id, reason, user_id=principal.user_id, user_name=principal.display_name
        )
    except RevealRefused as exc:
        return _reveal_page(
            employee, reason=reason, errors=exc.errors, status=429 if isinstance(exc, RevealCapReached) else 422
        )
    return _reveal_page(employee, nir=nir)
