"""Read side: which employees a caller sees and how they are shown, from the request-bound session."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time

from sqlalchemy import Select, and_, func, or_, select

from portal_common.clock import PARIS
from portal_common.service import portal
from portal_common.vocabulary import MonitoringCategory

from ..models import Employee, EmployeeHistory, NirReveal
from .pcs import pcs_label
from .rules import ADULT_AGE, ID_RE, ListStatus, add_years, classify, display_name, fold, list_status

LIST_LIMIT = 2000
EXPORT_LIMIT = 50000  # a whole company, for the exports and the print view
PAGE_SIZE = 50
SORTS = {
    "name": (Employee.initial, Employee.search_text, Employee.id),
    "-name": (Employee.initial.desc(), Employee.search_text.desc(), Employee.id.desc()),
    "birth_date": (Employee.birth_date, Employee.search_text, Employee.id),
    "-birth_date": (Employee.birth_date.desc(), Employee.search_text, Employee.id),
    "hire_date": (Employee.hire_date, Employee.search_text, Employee.id),
    "-hire_date": (Employee.hire_date.desc(), Employee.search_text, Employee.id),
}


@dataclass(frozen=True)
class EmployeeFilter:
    """The list's filters: status (present, left, all), initial letter, search, category, contract, sort."""

    status: ListStatus = ListStatus.PRESENT
    letter: str | None = None
    query: str | None = None
    category: MonitoringCategory | None = None
    contract: str | None = None
    sort: str = "name"


def _scoped(member_id: str | None, status: ListStatus, today: date) -> Select:
    stmt = select(Employee)
    if member_id is not None:
        stmt = stmt.where(Employee.member_id == member_id)
    if status == ListStatus.PRESENT:
        stmt = stmt.where(Employee.hire_date <= today, or_(Employee.exit_date.is_(None), Employee.exit_date >= today))
    elif status == ListStatus.UPCOMING:
        stmt = stmt.where(Employee.hire_date > today, or_(Employee.exit_date.is_(None), Employee.exit_date >= today))
    elif status == ListStatus.LEFT:
        stmt = stmt.where(Employee.exit_date < today)
    return stmt


def _category_clause(category: MonitoringCategory, today: date):
    """The category on `today`: the stored one without age, raised to SIA for those still under 18."""
    born_minor_after = add_years(today, -ADULT_AGE)
    minor = Employee.birth_date > born_minor_after
    if category == MonitoringCategory.SIR:
        return Employee.base_category == MonitoringCategory.SIR
    if category == MonitoringCategory.SIA:
        return or_(
            Employee.base_category == MonitoringCategory.SIA,
            and_(Employee.base_category == MonitoringCategory.SI, minor),
        )
    return and_(Employee.base_category == MonitoringCategory.SI, Employee.birth_date <= born_minor_after)


def _filtered(member_id: str | None, filters: EmployeeFilter, today: date) -> Select:
    stmt = _scoped(member_id, filters.status, today)
    if filters.letter:
        stmt = stmt.where(Employee.initial == filters.letter.upper())
    folded = fold(filters.query)
    if folded:
        stmt = stmt.where(Employee.search_text.contains(folded, autoescape=True))
    if filters.category:
        stmt = stmt.where(_category_clause(filters.category, today))
    if filters.contract:
        stmt = stmt.where(Employee.contract == filters.contract)
    return stmt


def list_employees(
    member_id: str | None, filters: EmployeeFilter, today: date, *, offset: int = 0, limit: int = LIST_LIMIT
) -> list[Employee]:
    """Employees of one company (or of all, for staff when `member_id` is None), in the chosen order."""
    # The initial and search text are accent-free, so ÉTIENNE sorts among the E.
    order = SORTS.get(filters.sort, SORTS["name"])
    # The page's ids first, from the company's name index alone (an index-only scan walks past the offset without
    # reading a row), then only those rows: a page far into 10,000 employees reads 50 rows, not thousands.
    page = _filtered(member_id, filters, today).with_only_columns(Employee.id).order_by(*order)
    keys = page.offset(offset).limit(limit).subquery()
    stmt = select(Employee).join(keys, Employee.id == keys.c.id).order_by(*order)
    return list(portal().db.session.scalars(stmt))


def list_columns(
    member_id: str | None, filters: EmployeeFilter, today: date, fields: tuple[str, ...], *, limit: int
) -> list:
    """Chosen columns of the filtered list, in its order, as plain rows: the exports read thousands of employees
    and need no ORM object (no identity map, no attribute instrumentation) for them."""
    stmt = _filtered(member_id, filters, today).with_only_columns(*(getattr(Employee, f) for f in fields))
    stmt = stmt.order_by(*SORTS.get(filters.sort, SORTS["name"])).limit(limit)
    return list(portal().db.session.execute(stmt))


def count_employees(member_id: str | None, filters: EmployeeFilter, today: date) -> int:
    stmt = _filtered(member_id, filters, today).with_only_columns(func.count()).order_by(None)
    return portal().db.session.scalar(stmt) or 0


def count_and_letters(member_id: str, filters: EmployeeFilter, today: date) -> tuple[int, list[str]]:
    """The list's count under its filters and the initials present under its status alone (the letter links), in
    one pass over the company's name index rather than one statement for each."""
    narrowed = _filtered(None, replace(filters, status=ListStatus.ALL), today).whereclause
    count = func.count() if narrowed is None else func.count().filter(narrowed)
    stmt = (
        _scoped(member_id, filters.status, today)
        .with_only_columns(Employee.initial, count)
        .group_by(Employee.initial)
        .order_by(Employee.initial)
    )
    rows = portal().db.session.execute(stmt).all()
    return sum(n for _, n in rows), [initial for initial, _ in rows]


def present_by_category(member_id: str, today: date) -> tuple[dict[MonitoringCategory, int], int]:
    """Present employees by monitoring category on `today`, and all present: one pass over the company's rows
    (a count per category would read a company of 10,000 employees once per category, for « Accueil »)."""
    counts = [func.count().filter(_category_clause(category, today)) for category in MonitoringCategory]
    stmt = _scoped(member_id, ListStatus.PRESENT, today).with_only_columns(*counts, func.count())
    *by_category, total = portal().db.session.execute(stmt).one()
    return dict(zip(MonitoringCategory, by_category, strict=True)), total


def employees_with_nir(member_id: str | None, nir_hash: str) -> list[Employee]:
    """Everyone of a company (of all, for staff when `member_id` is None) with this NIR's blind index, present or
    not: a search by NIR, which never goes through a URL."""
    stmt = select(Employee).where(Employee.nir_hash == nir_hash)
    if member_id is not None:
        stmt = stmt.where(Employee.member_id == member_id)
    return list(portal().db.session.scalars(stmt.order_by(*SORTS["name"]).limit(LIST_LIMIT)))


def all_employees(member_id: str) -> list[Employee]:
    """Every employee of a company, present or not (list check, declaration prefill)."""
    stmt = select(Employee).where(Employee.member_id == member_id).order_by(Employee.initial, Employee.search_text)
    return list(portal().db.session.scalars(stmt))


def letters_present(member_id: str, status: ListStatus, today: date) -> list[str]:
    """The initials that have at least one employee, for the letter links of the list."""
    stmt = _scoped(member_id, status, today).with_only_columns(Employee.initial).distinct()
    return sorted(portal().db.session.scalars(stmt))


def get_employee(employee_id: str) -> Employee | None:
    if not ID_RE.match(employee_id):  # not an id we ever issue (and PostgreSQL refuses NUL bytes)
        return None
    return portal().db.session.get(Employee, employee_id)


def visible_employee(employee_id: str, principal) -> Employee | None:
    """The employee if the caller may see it: staff, or a user of its company; None otherwise (→ 404)."""
    employee = get_employee(employee_id)
    if employee is None or (not principal.is_staff and principal.member_id != employee.member_id):
        return None
    return employee


def history_of(employee_id: str) -> list[EmployeeHistory]:
    stmt = (
        select(EmployeeHistory)
        .where(EmployeeHistory.employee_id == employee_id)
        .order_by(EmployeeHistory.recorded_at, EmployeeHistory.id)
    )
    return list(portal().db.session.scalars(stmt))


def employee_as_dict(employee: Employee, today: date) -> dict:
    """What the API and the pages show: the masked NIR only, the category of today with its reasons."""
    classification = classify(
        employee.determinant_codes,
        birth_date=employee.birth_date,
        on=today,
        adapted_undisclosed=employee.adapted_undisclosed,
        policy=portal().settings.category_policy,
    )
    return {
        "id": employee.id,
        "member_id": employee.member_id,
        "last_name": employee.last_name,
        "birth_name": employee.birth_name,
        "first_names": employee.first_names,
        "sex": employee.sex,
        "display_name": display_name(employee.last_name, employee.birth_name, employee.sex),
        "birth_date": employee.birth_date,
        "birth_commune": employee.birth_commune,
        "birth_country": employee.birth_country,
        "nir_masked": employee.nir_masked,
        "hire_date": employee.hire_date,
        "post": employee.post,
        "post_since": employee.post_since or employee.hire_date,
        "pcs_code": employee.pcs_code,
        "pcs_label": pcs_label(employee.pcs_code),
        "workplace_siret": employee.workplace_siret,
        "contract": employee.contract,
        "multi_employer": employee.multi_employer,
        "monitoring_category": classification.category,
        "category_label": classification.label,
        "category_reasons": [
            {"category": r.category, "label": r.label, "reference": r.reference} for r in classification.reasons
        ],
        "determinants": list(employee.determinant_codes),
        "sir_justification": employee.sir_justification,
        "adapted_undisclosed": employee.adapted_undisclosed,
        "convocation_constraints": employee.convocation_constraints,
        "comment": employee.comment,
        "exit_date": employee.exit_date,
        "exit_reason": employee.exit_reason,
        "status": list_status(employee.hire_date, employee.exit_date, today),
        "version": employee.version,
        "created_at": employee.created_at,
    }


def history_as_dict(item: EmployeeHistory) -> dict:
    return {
        "kind": item.kind,
        "effective_on": item.effective_on,
        "post": item.post,
        "pcs_code": item.pcs_code,
        "determinants": [code for code in item.determinants.split(",") if code],
        "monitoring_category": item.monitoring_category,
        "exit_reason": item.exit_reason,
        "recorded_at": item.recorded_at,
    }


def nir_reveals_on(day: date, user_id: str, session=None) -> int:
    """How many NIRs a staff user has seen in clear on a French calendar day (the cap's count); `session` is the
    reveal's own transaction when it counts before writing."""
    since = datetime.combine(day, time.min, tzinfo=PARIS)
    stmt = select(func.count()).where(NirReveal.revealed_by == user_id, NirReveal.revealed_at >= since)
    return (session or portal().db.session).scalar(stmt) or 0
