"""Read side of employee imports: an import as its owner sees it, the recent ones, the checked lines, and the
file's first lines for the column choice (NIR-shaped text always masked)."""

from __future__ import annotations

import json
import zlib

from sqlalchemy import func, select

from portal_common.service import Portal

from ..employees.rules import ID_RE
from ..models import EmployeeImport, EmployeeImportRow
from . import rules as imports
from .rules import Table


class ImportNotFound(LookupError):
    pass


def table_of(portal: Portal, staged: EmployeeImport) -> Table:
    content = json.loads(zlib.decompress(portal.settings.nir_vault.unseal(staged.content_sealed, staged.id)))
    return Table(header=content["header"], rows=content["rows"], line_numbers=content["lines"])


def sample(portal: Portal, staged: EmployeeImport, mapping: dict[str, int], count: int = 5) -> list[dict]:
    """The first lines as the chosen columns read them, for the mapping preview (NIR-shaped text masked)."""
    table = table_of(portal, staged)
    return [
        {
            "line": line,
            "values": {name: imports.scrub_nir(value) for name, value in imports.mapped_values(row, mapping).items()},
        }
        for line, row in list(zip(table.line_numbers, table.rows))[:count]
    ]


def column_samples(portal: Portal, staged: EmployeeImport, count: int = 3) -> list[list[str]]:
    """Per column, its first values (NIR-shaped text masked), to help choosing."""
    rows = table_of(portal, staged).rows[:count]
    return [[imports.scrub_nir(row[i]) for row in rows if row[i]] for i in range(len(staged.header))]


def get_import(portal: Portal, import_id: str, member_id: str | None) -> EmployeeImport:
    """The import if it belongs to `member_id` (None: staff, any company); ImportNotFound otherwise."""
    if not ID_RE.match(import_id or ""):
        raise ImportNotFound(import_id)
    staged = portal.db.session.get(EmployeeImport, import_id)
    if (
        staged is None
        or staged.file_format not in imports.TABLE_FORMATS  # a DSN import has its own steps (dsn/)
        or (member_id is not None and staged.member_id != member_id)
    ):
        raise ImportNotFound(import_id)
    return staged


def recent_imports(portal: Portal, member_id: str, limit: int = 10) -> list[EmployeeImport]:
    stmt = (
        select(EmployeeImport)
        .where(EmployeeImport.member_id == member_id, EmployeeImport.file_format.in_(imports.TABLE_FORMATS))
        .order_by(EmployeeImport.created_at.desc())
        .limit(limit)
    )
    return list(portal.db.session.scalars(stmt))


def checked_rows(
    portal: Portal, import_id: str, *, problems_only: bool, offset: int = 0, limit: int = 100
) -> tuple[list[EmployeeImportRow], int]:
    stmt = select(EmployeeImportRow).where(EmployeeImportRow.import_id == import_id)
    if problems_only:
        stmt = stmt.where(EmployeeImportRow.has_problem.is_(True))
    total = portal.db.session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0
    rows = portal.db.session.scalars(stmt.order_by(EmployeeImportRow.line).offset(offset).limit(limit))
    return list(rows), total
