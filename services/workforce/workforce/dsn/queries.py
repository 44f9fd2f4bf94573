"""Read side of DSN imports: an import as its owner sees it, its preview rows, the recent ones."""

from __future__ import annotations

from sqlalchemy import func, select

from portal_common.service import Portal

from ..employees.rules import ID_RE
from ..models import EmployeeImport, EmployeeImportRow

DSN_FORMAT = "dsn"  # EmployeeImport.file_format of a DSN import


class DsnImportNotFound(LookupError):
    pass


def get_dsn_import(portal: Portal, import_id: str, member_id: str | None) -> EmployeeImport:
    """The DSN import if it belongs to `member_id` (None: staff, any company); DsnImportNotFound otherwise."""
    if not ID_RE.match(import_id or ""):
        raise DsnImportNotFound(import_id)
    staged = portal.db.session.get(EmployeeImport, import_id)
    if staged is None or staged.file_format != DSN_FORMAT or (member_id is not None and staged.member_id != member_id):
        raise DsnImportNotFound(import_id)
    return staged


def recent_dsn_imports(portal: Portal, member_id: str, limit: int = 10) -> list[EmployeeImport]:
    stmt = (
        select(EmployeeImport)
        .where(EmployeeImport.member_id == member_id, EmployeeImport.file_format == DSN_FORMAT)
        .order_by(EmployeeImport.created_at.desc())
        .limit(limit)
    )
    return list(portal.db.session.scalars(stmt))


def preview_rows(
    portal: Portal, import_id: str, *, changes_only: bool, offset: int = 0, limit: int = 100
) -> tuple[list[EmployeeImportRow], int]:
    """The preview's rows in file order; `changes_only` leaves out the employees the files do not change."""
    stmt = select(EmployeeImportRow).where(EmployeeImportRow.import_id == import_id)
    if changes_only:
        stmt = stmt.where((EmployeeImportRow.action != "unchanged") | EmployeeImportRow.has_problem.is_(True))
    total = portal.db.session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0
    rows = portal.db.session.scalars(stmt.order_by(EmployeeImportRow.line).offset(offset).limit(limit))
    return list(rows), total
