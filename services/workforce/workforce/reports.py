"""Reports on the employee list: headcount by category (chart and table), and the multi-employer workers at
31 January for the return due by 28 February (décret n° 2023-547), with its CSV/XLSX export."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, render_template, request
from sqlalchemy import or_, select

from portal_common.access import member, require_principal
from portal_common.service import portal

from . import exports, services, views
from .categories import CATEGORIES
from .labels import CATEGORY_LABELS
from .list_tools import XLSX_TYPE
from .models import Employee

reports = Blueprint("workforce_reports", __name__, template_folder="templates")

# Colours of the bars, each with a contrast of at least 3:1 on white (WCAG 1.4.11); the numbers are also
# written beside each bar and given in the table, so colour never carries the information alone.
BAR_COLOURS = {"SI": "#1f5f8b", "SIA": "#8a5a00", "SIR": "#a0232f"}
CHART_WIDTH, BAR_HEIGHT, LABEL_WIDTH, GAP = 640, 30, 60, 14
MULTI_EMPLOYER_REFERENCE = (1, 31)  # the list is the one at 31 January
RETURN_DEADLINE = (2, 28)


@dataclass(frozen=True)
class Bar:
    category: str
    label: str
    count: int
    multi_employer: int
    share: float  # 0..100
    y: int
    width: int


def headcount_bars(counts: dict[str, tuple[int, int]]) -> list[Bar]:
    """The bars of the chart: `counts` is category → (employees, of whom multi-employer)."""
    total = sum(count for count, _ in counts.values())
    largest = max((count for count, _ in counts.values()), default=0)
    usable = CHART_WIDTH - LABEL_WIDTH - 150  # room for the number written after the bar
    bars = []
    for index, category in enumerate(CATEGORIES):
        count, multi = counts.get(category, (0, 0))
        bars.append(Bar(category, CATEGORY_LABELS[category], count, multi, 100 * count / total if total else 0.0,
                        y=index * (BAR_HEIGHT + GAP), width=round(usable * count / largest) if largest else 0))
    return bars


@reports.get("/salaries/effectifs")
@member()
def headcount():
    principal = require_principal()
    today = services.today()
    multi = {category: 0 for category in CATEGORIES}
    for employee in multi_employer_workers(principal.member_id, today):
        multi[views.employee_as_dict(employee, today)["monitoring_category"]] += 1
    # The same filter as the list's category filter, so each number matches the list it links to.
    counts = {category: (views.count_employees(principal.member_id, views.EmployeeFilter(category=category), today),
                         multi[category]) for category in CATEGORIES}
    bars = headcount_bars(counts)
    return render_template("workforce/headcount.html", bars=bars, total=sum(b.count for b in bars),
                           total_multi=sum(b.multi_employer for b in bars), today=today, colours=BAR_COLOURS,
                           chart_width=CHART_WIDTH, chart_height=len(bars) * (BAR_HEIGHT + GAP), bar_height=BAR_HEIGHT,
                           label_width=LABEL_WIDTH, page_title="Effectif par catégorie de suivi")


def reference_year(raw: str | None, today: date) -> int:
    """The year of the list: the one asked for, else the latest 31 January already passed."""
    latest = today.year if today >= date(today.year, *MULTI_EMPLOYER_REFERENCE) else today.year - 1
    if raw and raw.isdigit() and 2023 <= int(raw) <= latest:  # the décret applies from 2023
        return int(raw)
    return latest


def multi_employer_workers(member_id: str, on: date) -> list[Employee]:
    """Employees flagged multi-employer and employed on `on` (hired by then, not left before)."""
    stmt = select(Employee).where(
        Employee.member_id == member_id, Employee.multi_employer.is_(True), Employee.hire_date <= on,
        or_(Employee.exit_date.is_(None), Employee.exit_date >= on)).order_by(
        Employee.initial, Employee.search_text, Employee.id)
    return list(portal().db.session.scalars(stmt))


def _multi_employer_rows() -> tuple[int, date, list[dict]]:
    principal = require_principal()
    today = services.today()
    year = reference_year(request.args.get("annee"), today)
    on = date(year, *MULTI_EMPLOYER_REFERENCE)
    # The category is the one of the reference day (the décret compares the follow-up types then).
    return year, on, [views.employee_as_dict(e, on) for e in multi_employer_workers(principal.member_id, on)]


@reports.get("/salaries/multi-employeurs")
@member()
def multi_employers():
    year, on, rows = _multi_employer_rows()
    today = services.today()
    latest = reference_year(None, today)
    return render_template("workforce/multi_employers.html", employees=rows, year=year, on=on,
                           deadline=date(year, *RETURN_DEADLINE), years=list(range(latest, 2022, -1)),
                           page_title="Salariés multi-employeurs")


def _download(body: bytes, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@reports.get("/salaries/multi-employeurs/export.csv")
@member()
def multi_employers_csv():
    _, on, rows = _multi_employer_rows()
    return _download(exports.to_csv([exports.row_of(e) for e in rows]), "text/csv; charset=utf-8",
                     f"multi-employeurs-{on:%Y-%m-%d}.csv")


@reports.get("/salaries/multi-employeurs/export.xlsx")
@member()
def multi_employers_xlsx():
    _, on, rows = _multi_employer_rows()
    return _download(exports.to_xlsx([exports.row_of(e) for e in rows]), XLSX_TYPE,
                     f"multi-employeurs-{on:%Y-%m-%d}.xlsx")
