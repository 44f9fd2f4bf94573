"""The list's tools: CSV and XLSX export of the filtered list, its print view, and 'Contrôler la liste'."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from portal_common.access import member, require_principal
from portal_common.service import portal

from . import checks, exports, services, views
from .domain import check_nir, fold
from .models import Employee
from .nir_vault import NirVaultError
from .pages import list_filters

tools = Blueprint("workforce_tools", __name__, template_folder="templates")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filtered_rows() -> tuple[views.EmployeeFilter, list[dict]]:
    principal = require_principal()
    filters = list_filters(request.args)
    today = services.today()
    return filters, [views.employee_as_dict(e, today)
                     for e in views.list_employees(principal.member_id, filters, today, limit=views.EXPORT_LIMIT)]


def _download(body: bytes, mimetype: str, extension: str) -> Response:
    name = f"salaries-{services.today():%Y-%m-%d}.{extension}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@tools.get("/salaries/export.csv")
@member()
def export_csv():
    _, rows = _filtered_rows()
    return _download(exports.to_csv([exports.row_of(e) for e in rows]), "text/csv; charset=utf-8", "csv")


@tools.get("/salaries/export.xlsx")
@member()
def export_xlsx():
    _, rows = _filtered_rows()
    return _download(exports.to_xlsx([exports.row_of(e) for e in rows]), XLSX_TYPE, "xlsx")


@tools.get("/salaries/impression")
@member()
def print_view():
    filters, rows = _filtered_rows()
    return render_template("workforce/print.html", employees=rows, filters=filters, today=services.today(),
                           page_title="Liste des salariés à imprimer")


def _nir_problem(employee: Employee) -> str | None:
    try:
        return check_nir(portal().settings.nir_vault.decrypt(employee.nir_encrypted, employee.id))
    except NirVaultError:
        return "Le numéro enregistré est illisible : saisissez-le à nouveau."


def _checked(employee: Employee) -> checks.Checked:
    return checks.Checked(
        id=employee.id, name=f"{employee.last_name} {employee.first_names}", birth_date=employee.birth_date,
        hire_date=employee.hire_date, exit_date=employee.exit_date, nir_missing=not employee.nir_encrypted,
        nir_problem=_nir_problem(employee) if employee.nir_encrypted else None,
        nir_consistent=employee.nir_consistent, nir_hash=employee.nir_hash, folded_name=fold(
            f"{employee.birth_name} {employee.first_names}"), post=employee.post,
        determinants=employee.determinant_codes, stored_category=employee.monitoring_category,
        reviewed=employee.category_reviewed_on is not None,
        birth_place_missing=not (employee.birth_commune or employee.birth_country))


@tools.get("/salaries/controle")
@member()
def control():
    principal = require_principal()
    today = services.today()
    anomalies = checks.check_list([_checked(e) for e in views.all_employees(principal.member_id)], today)
    return render_template("workforce/control.html", anomalies=anomalies, titles=checks.KIND_TITLES,
                           page_title="Contrôler la liste")
