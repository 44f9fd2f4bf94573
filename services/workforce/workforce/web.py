"""Page helpers shared by the capabilities' pages: the employee list's filters from a query string (the list, its
exports and its print view read the same ones), file downloads, and the steps the CSV and DSN import pages share
(an upload refused or staged, the preview's page of lines, refusals flashed, abandoning an import)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request

from portal_common.access import require_principal
from portal_common.service import portal
from portal_common.validators import nir_in
from portal_common.vocabulary import MonitoringCategory

from .employees.queries import SORTS, EmployeeFilter
from .employees.rules import CATEGORIES, CONTRACTS, LETTER_RE, STATUSES, ListStatus
from .imports.rules import ImportRejected

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


PREVIEW_ROWS_PER_PAGE = 100


@dataclass(frozen=True)
class PreviewPage:
    rows: Sequence[Any]
    total: int
    page: int
    pages_count: int
    narrowed: bool  # only the lines to look at first (the default), not every line


def preview_page(fetch: Callable[[bool, int, int], tuple[Sequence[Any], int]]) -> PreviewPage:
    """The page of an import's preview the query string asks for (`?lignes=toutes` for every line, `?page=` from 1);
    `fetch(narrowed, offset, limit)` reads its rows and the total."""
    narrowed = request.args.get("lignes") != "toutes"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = fetch(narrowed, (page - 1) * PREVIEW_ROWS_PER_PAGE, PREVIEW_ROWS_PER_PAGE)
    return PreviewPage(rows, total, page, max(1, -(-total // PREVIEW_ROWS_PER_PAGE)), narrowed)


def preview(
    template: str,
    fetch: Callable[[bool, int, int], tuple[Sequence[Any], int]],
    errors: dict,
    status: int,
    **context: Any,
) -> tuple[str, int]:
    """An import's preview page: its page of lines (`preview_page`) with the confirmation form's `errors`."""
    window = preview_page(fetch)
    return render_template(
        template,
        rows=window.rows,
        total=window.total,
        page=window.page,
        pages_count=window.pages_count,
        narrowed=window.narrowed,
        errors=errors,
        **context,
    ), status


def flash_errors(errors: dict[str, str]) -> None:
    """A refusal that belongs to no field of the page shown next: its messages on top of that page."""
    for message in errors.values():
        flash(message, "error")


def own_import(get: Callable[..., Any], missing: type[LookupError], import_id: str) -> Any:
    """The current company's import read by `get(portal, import_id, member_id)`; 404 when `get` raises `missing`
    (another company's, another kind's or no import: the same answer)."""
    try:
        return get(portal(), import_id, require_principal().member_id)
    except missing:
        abort(404)


def uploaded_import(stage: Callable[[], Any], refused: str, upload_page: Callable[[dict, int], Any], path: str) -> Any:
    """An upload staged by `stage()`: on to its import's page, or the upload page again (422) with `refused` on top
    and why under the field."""
    try:
        staged = stage()
    except ImportRejected as exc:
        flash(refused, "error")
        return upload_page(exc.errors, 422)
    return redirect(f"{path}/{staged.id}")


def abandoned_import(cancel: Callable[..., Any], staged: Any, path: str, message: str) -> Any:
    """Abandons a staged import: to a new upload with `message`, or back to the import with why it cannot be."""
    try:
        cancel(portal(), staged.id, staged.member_id)
    except ImportRejected as exc:
        flash_errors(exc.errors)
        return redirect(f"{path}/{staged.id}")
    flash(message, "info")
    return redirect(path)
