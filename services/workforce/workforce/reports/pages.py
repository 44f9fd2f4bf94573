"""Pages drawn from the employee list: CSV and XLSX export of the filtered list, its print view, « Contrôler la
liste », the headcount by category (chart and table), and the multi-employer workers at 31 January for the return
due by 28 February (décret n° 2023-547), with its CSV/XLSX export."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request

from portal_common.access import member, require_principal
from portal_common.clock import today
from portal_common.roles import EMPLOYEE_READERS
from portal_common.service import portal

from ..employees import queries as employees
from ..employees.rules import CATEGORIES
from ..web import CSV_TYPE, XLSX_TYPE, download, list_filters
from . import checks, exports, queries
from .rules import (
    BAR_COLOURS,
    BAR_HEIGHT,
    CHART_WIDTH,
    GAP,
    LABEL_WIDTH,
    MULTI_EMPLOYER_REFERENCE,
    RETURN_DEADLINE,
    headcount_bars,
    is_forecast,
    latest_reference_year,
    reference_year,
)

reports = Blueprint("workforce_reports", __name__)


def _filtered_rows() -> tuple[employees.EmployeeFilter, list[dict]]:
    principal = require_principal()
    filters = list_filters(request.args)
    day = today()
    return filters, [
        employees.employee_as_dict(e, day)
        for e in employees.list_employees(principal.member_id, filters, day, limit=employees.EXPORT_LIMIT)
    ]


def _export_lines():
    """The filtered list as the export's lines, read as plain rows (a company may have tens of thousands)."""
    day = today()
    rows = employees.list_columns(
        require_principal().member_id,
        list_filters(request.args),
        day,
        exports.EXPORT_FIELDS,
        limit=employees.EXPORT_LIMIT,
    )
    return exports.lines_of(rows, day, portal().settings.category_policy)


@reports.get("/salaries/export.csv")
@member(*EMPLOYEE_READERS)
def export_csv():
    return download(exports.to_csv(_export_lines()), CSV_TYPE, f"salaries-{today():%Y-%m-%d}.csv")


@reports.get("/salaries/export.xlsx")
@member(*EMPLOYEE_READERS)
def export_xlsx():
    return download(exports.to_xlsx(_export_lines()), XLSX_TYPE, f"salaries-{today():%Y-%m-%d}.xlsx")


@reports.get("/salaries/impression")
@member(*EMPLOYEE_READERS)
def print_view():
    filters, rows = _filtered_rows()
    return render_template(
        "workforce/print.html",
        employees=rows,
        filters=filters,
        today=today(),
        page_title="Liste des salariés à imprimer",
    )


@reports.get("/salaries/controle")
@member(*EMPLOYEE_READERS)
def control():
    anomalies = queries.list_anomalies(require_principal().member_id, today())
    return render_template(
        "workforce/control.html", anomalies=anomalies, titles=checks.KIND_TITLES, page_title="Contrôler la liste"
    )


@reports.get("/salaries/effectifs")
@member(*EMPLOYEE_READERS)
def headcount():
    principal = require_principal()
    day = today()
    multi = dict.fromkeys(CATEGORIES, 0)
    for employee in queries.multi_employer_workers(principal.member_id, day):
        multi[employees.employee_as_dict(employee, day)["monitoring_category"]] += 1
    # The same filter as the list's category filter, so each number matches the list it links to.
    counts = {
        category: (
            employees.count_employees(principal.member_id, employees.EmployeeFilter(category=category), day),
            multi[category],
        )
        for category in CATEGORIES
    }
    bars = headcount_bars(counts)
    return render_template(
        "workforce/headcount.html",
        bars=bars,
        total=sum(b.count for b in bars),
        total_multi=sum(b.multi_employer for b in bars),
        today=day,
        colours=BAR_COLOURS,
        chart_width=CHART_WIDTH,
        chart_height=len(bars) * (BAR_HEIGHT + GAP),
        bar_height=BAR_HEIGHT,
        label_width=LABEL_WIDTH,
        page_title="Effectif par catégorie de suivi",
    )


def _multi_employer_rows() -> tuple[int, date, list[dict]]:
    principal = require_principal()
    year = reference_year(request.args.get("annee"), today())
    on = date(year, *MULTI_EMPLOYER_REFERENCE)
    # The category is the one of the reference day (the décret compares the follow-up types then).
    return (
        year,
        on,
        [employees.employee_as_dict(e, on) for e in queries.multi_employer_workers(principal.member_id, on)],
    )


@reports.get("/salaries/multi-employeurs")
@member(*EMPLOYEE_READERS)
def multi_employers():
    year, on, rows = _multi_employer_rows()
    latest = latest_reference_year(today())
    return render_template(
        "workforce/multi_employers.html",
        employees=rows,
        year=year,
        forecast=is_forecast(year, today()),
        asked=request.args.get("annee"),
        on=on,
        deadline=date(year, *RETURN_DEADLINE),
        years=list(range(latest + 1, 2022, -1)),
        page_title="Salariés multi-employeurs",
    )


@reports.get("/salaries/multi-employeurs/export.csv")
@member(*EMPLOYEE_READERS)
def multi_employers_csv():
    _, on, rows = _multi_employer_rows()
    return download(exports.to_csv([exports.row_of(e) for e in rows]), CSV_TYPE, f"multi-employeurs-{on:%Y-%m-%d}.csv")


@reports.get("/salaries/multi-employeurs/export.xlsx")
@member(*EMPLOYEE_READERS)
def multi_employers_xlsx():
    _, on, rows = _multi_employer_rows()
    return download(
        exports.to_xlsx([exports.row_of(e) for e in rows]), XLSX_TYPE, f"multi-employeurs-{on:%Y-%m-%d}.xlsx"
    )
