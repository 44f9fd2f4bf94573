"""Pages of the workforce service: the employee list of the current company and the hiring form."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request

from portal_common.access import member, require_principal
from portal_common.service import portal

from . import services, views
from .domain import CONTRACTS, LETTER_RE, MONITORING_CATEGORIES, STATUSES, HireCommand, HireRejected

pages = Blueprint("workforce_pages", __name__, template_folder="templates")

CONTRACT_LABELS = {
    "CDI": "CDI", "CDD": "CDD", "apprentissage": "Apprentissage", "professionnalisation": "Professionnalisation",
    "interim": "Intérim", "stage": "Stage", "autre": "Autre",
}
CATEGORY_LABELS = {
    "SI": "Suivi individuel", "SIA": "Suivi individuel adapté", "SIR": "Suivi individuel renforcé",
}
STATUS_LABELS = {"present": "Présents", "left": "Sortis", "all": "Tous"}
DATE_FIELDS = ("birth_date", "hire_date")
TEXT_FIELDS = ("last_name", "birth_name", "first_names", "sex", "nir", "post", "pcs_code", "contract",
               "monitoring_category")


@pages.get("/salaries")
@member()
def employee_list():
    principal = require_principal()
    status = request.args.get("status", "present")
    status = status if status in STATUSES else "present"
    letter = request.args.get("letter", "").strip().upper()
    letter = letter if LETTER_RE.match(letter) else None
    query = request.args.get("q", "").strip()[:100]
    today = services.today()
    filters = views.EmployeeFilter(status=status, letter=letter, query=query or None)
    employees = [views.employee_as_dict(e, today) for e in views.list_employees(principal.member_id, filters, today)]
    return render_template(
        "workforce/list.html", employees=employees, letters=views.letters_present(principal.member_id, status, today),
        letter=letter, query=query, status=status, can_hire=principal.has_member_role("admin", "declaration"),
        contract_labels=CONTRACT_LABELS, category_labels=CATEGORY_LABELS, status_labels=STATUS_LABELS,
        page_title="Mes salariés")


def _date_or_none(raw: str) -> date | None:
    """The browser sends ISO dates; anything else is reported by the domain as a missing date."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@pages.route("/salaries/nouveau", methods=["GET", "POST"])
@member("admin", "declaration")
def new_employee():
    principal = require_principal()
    errors: dict[str, str] = {}
    values = {name: request.form.get(name, "").strip() for name in (*TEXT_FIELDS, *DATE_FIELDS)}
    values["multi_employer"] = request.form.get("multi_employer") == "on"
    if request.method == "POST":
        command = HireCommand(**{name: values[name] for name in TEXT_FIELDS},
                              **{name: _date_or_none(values[name]) for name in DATE_FIELDS},
                              multi_employer=values["multi_employer"])
        try:
            hired = services.hire_employee(portal(), principal.member_id, command)
        except HireRejected as exc:
            errors = exc.errors
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
        else:
            flash(f"Salarié {hired.first_names} {hired.last_name} ajouté.", "success")
            return redirect("/salaries")
    return render_template(
        "workforce/new.html", values=values, errors=errors, page_title="Ajouter un salarié",
        contract_options=[(code, CONTRACT_LABELS[code]) for code in CONTRACTS],
        category_options=[(code, f"{code} — {CATEGORY_LABELS[code]}") for code in MONITORING_CATEGORIES],
    ), 422 if errors else 200
