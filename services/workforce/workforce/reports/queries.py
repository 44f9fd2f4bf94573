"""Read side of the reports: the multi-employer workers at a date, and the employee list as « Contrôler la liste »
checks it (the NIR decrypted to check it, never shown)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from portal_common.service import portal

from ..employees import queries as employees
from ..employees.nir_vault import NirVaultError
from ..employees.rules import check_nir, fold
from ..models import Employee
from . import checks


def multi_employer_workers(member_id: str, on: date) -> list[Employee]:
    """Employees flagged multi-employer and employed on `on` (hired by then, not left before)."""
    stmt = (
        select(Employee)
        .where(
            Employee.member_id == member_id,
            Employee.multi_employer.is_(True),
            Employee.hire_date <= on,
            or_(Employee.exit_date.is_(None), Employee.exit_date >= on),
        )
        .order_by(Employee.initial, Employee.search_text, Employee.id)
    )
    return list(portal().db.session.scalars(stmt))


def _nir_problem(employee: Employee) -> str | None:
    try:
        return check_nir(portal().settings.nir_vault.decrypt(employee.nir_encrypted, employee.id))
    except NirVaultError:
        return "Le numéro enregistré est illisible : saisissez-le à nouveau."


def _checked(employee: Employee) -> checks.Checked:
    return checks.Checked(
        id=employee.id,
        name=f"{employee.last_name} {employee.first_names}",
        birth_date=employee.birth_date,
        hire_date=employee.hire_date,
        exit_date=employee.exit_date,
        nir_missing=not employee.nir_encrypted,
        nir_problem=_nir_problem(employee) if employee.nir_encrypted else None,
        nir_consistent=employee.nir_consistent,
        nir_hash=employee.nir_hash,
        folded_name=fold(f"{employee.birth_name} {employee.first_names}"),
        post=employee.post,
        determinants=employee.determinant_codes,
        stored_category=employee.monitoring_category,
        reviewed=employee.category_reviewed_on is not None,
        birth_place_missing=not (employee.birth_commune or employee.birth_country),
    )


def list_anomalies(member_id: str, today: date) -> list[checks.Anomaly]:
    """Every anomaly of a company's employee list, with the page that fixes it."""
    return checks.check_list([_checked(e) for e in employees.all_employees(member_id)], today)
