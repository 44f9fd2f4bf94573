"""Read side: which employees a caller sees and how they are shown, from the request-bound session."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select

from portal_common.service import portal

from .domain import ID_RE, display_name, fold, is_present
from .models import Employee, MemberDirectoryEntry

LIST_LIMIT = 2000


@dataclass(frozen=True)
class EmployeeFilter:
    """The list's filters: status (present, left, all), initial letter, free-text search."""

    status: str = "present"
    letter: str | None = None
    query: str | None = None


def _scoped(member_id: str | None, status: str, today: date) -> Select:
    stmt = select(Employee)
    if member_id is not None:
        stmt = stmt.where(Employee.member_id == member_id)
    if status == "present":
        stmt = stmt.where(or_(Employee.exit_date.is_(None), Employee.exit_date >= today))
    elif status == "left":
        stmt = stmt.where(Employee.exit_date < today)
    return stmt


def list_employees(member_id: str | None, filters: EmployeeFilter, today: date) -> list[Employee]:
    """Employees of one company (or of all, for staff when `member_id` is None), sorted by name."""
    stmt = _scoped(member_id, filters.status, today)
    if filters.letter:
        stmt = stmt.where(Employee.initial == filters.letter.upper())
    folded = fold(filters.query)
    if folded:
        stmt = stmt.where(Employee.search_text.contains(folded, autoescape=True))
    # The initial and search text are accent-free, so ÉTIENNE sorts among the E.
    stmt = stmt.order_by(Employee.initial, Employee.search_text, Employee.id).limit(LIST_LIMIT)
    return list(portal().db.session.scalars(stmt))


def letters_present(member_id: str, status: str, today: date) -> list[str]:
    """The initials that have at least one employee, for the letter links of the list."""
    stmt = _scoped(member_id, status, today).with_only_columns(Employee.initial).distinct()
    return sorted(portal().db.session.scalars(stmt))


def get_employee(employee_id: str) -> Employee | None:
    if not ID_RE.match(employee_id):  # not an id we ever issue (and PostgreSQL refuses NUL bytes)
        return None
    return portal().db.session.get(Employee, employee_id)


def get_member_entry(member_id: str) -> MemberDirectoryEntry | None:
    return portal().db.session.get(MemberDirectoryEntry, member_id)


def employee_as_dict(employee: Employee, today: date) -> dict:
    """What the API and the pages show: the masked NIR only."""
    return {
        "id": employee.id, "member_id": employee.member_id, "last_name": employee.last_name,
        "birth_name": employee.birth_name, "first_names": employee.first_names, "sex": employee.sex,
        "display_name": display_name(employee.last_name, employee.birth_name, employee.sex),
        "birth_date": employee.birth_date, "nir_masked": employee.nir_masked, "hire_date": employee.hire_date,
        "post": employee.post, "pcs_code": employee.pcs_code, "contract": employee.contract,
        "multi_employer": employee.multi_employer, "monitoring_category": employee.monitoring_category,
        "exit_date": employee.exit_date, "status": "present" if is_present(employee.exit_date, today) else "left",
        "version": employee.version, "created_at": employee.created_at,
    }
