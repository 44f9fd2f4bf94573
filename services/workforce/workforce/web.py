"""Page helpers shared by the capabilities' pages: the employee list's filters from a query string (the list, its
exports and its print view read the same ones), and file downloads."""

from __future__ import annotations

from datetime import date

from flask import Response

from portal_common.validators import nir_in
from portal_common.vocabulary import MonitoringCategory

from .employees.queries import SORTS, EmployeeFilter
from .employees.rules import CATEGORIES, CONTRACTS, LETTER_RE, STATUSES, ListStatus

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def search_term(args) -> str:
    return args.get("q", "").strip()[:100]


def list_filters(args) -> EmployeeFilter:
    """The list's filters from the query string (or the search form); anything unknown falls back to no filter.

    A NIR-looking search is dropped: a NIR never goes into a URL (docs/security.md DP-02), so one found there came
    from a crafted link, not from the search form (which posts it)."""
    status = args.get("status", ListStatus.PRESENT)
    letter = args.get("letter", "").strip().upper()
    category, contract, sort = args.get("category", ""), args.get("contract", ""), args.get("sort", "name")
    query = search_term(args)
    return EmployeeFilter(
        status=ListStatus(status) if status in STATUSES else ListStatus.PRESENT,
        letter=letter if LETTER_RE.match(letter) else None,
        query=None if nir_in(query) else query or None,
        category=MonitoringCategory(category) if category in CATEGORIES else None,
        contract=contract if contract in CONTRACTS else None,
        sort=sort if sort in SORTS else "name",
    )


def filter_params(filters: EmployeeFilter) -> dict:
    """The query string that gives the same list (for paging, export and print links)."""
    params = {
        "status": filters.status,
        "letter": filters.letter,
        "q": filters.query,
        "category": filters.category,
        "contract": filters.contract,
        "sort": filters.sort,
    }
    return {
        key: value
        for key, value in params.items()
        if value and (key, value) not in {("status", ListStatus.PRESENT), ("sort", "name")}
    }


def date_or_none(raw: str | None) -> date | None:
    """The browser sends ISO dates; anything else is reported by the rules as a missing date."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def download(body: bytes, mimetype: str, name: str) -> Response:
    """A file to save, never kept by a cache (an employee list is personal data)."""
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
