"""Use cases of the workforce service: the only place that commits."""
from __future__ import annotations

import uuid
from datetime import date

from portal_common.clock import utcnow
from portal_common.formats import PARIS
from portal_common.service import Portal

from . import events
from .domain import HireCommand, check_hire, initial_of, mask_nir, nir_hash, search_text
from .models import Employee


def today() -> date:
    """The calendar day in France: ages and exits are counted in local days."""
    return utcnow().astimezone(PARIS).date()


def hired_event(employee: Employee) -> dict:
    """The hired event's data: identity and job, never the NIR."""
    return {
        "employee_id": employee.id, "member_id": employee.member_id, "last_name": employee.last_name,
        "birth_name": employee.birth_name, "first_names": employee.first_names,
        "birth_date": employee.birth_date.isoformat(), "hire_date": employee.hire_date.isoformat(),
        "post": employee.post, "contract": employee.contract,
        "monitoring_category": employee.monitoring_category, "version": employee.version,
    }


def hire_employee(portal: Portal, member_id: str, command: HireCommand, *,
                  employee_id: str | None = None) -> Employee:
    """An employee joins a member company; scheduling and members learn it from the event.

    `employee_id` lets the demo loader and imports keep stable ids; a new uuid otherwise.
    """
    hire = check_hire(command, today=today())
    with portal.uow() as tx:
        employee = Employee(
            id=employee_id or str(uuid.uuid4()), member_id=member_id, last_name=hire.last_name,
            birth_name=hire.birth_name or hire.last_name, first_names=hire.first_names, sex=hire.sex,
            birth_date=hire.birth_date, nir_masked=mask_nir(hire.nir),
            nir_hash=nir_hash(hire.nir, portal.settings.internal_key), hire_date=hire.hire_date,
            post=hire.post, pcs_code=hire.pcs_code, contract=hire.contract, multi_employer=hire.multi_employer,
            monitoring_category=hire.monitoring_category, exit_date=None, initial=initial_of(hire.last_name),
            search_text=search_text(hire.last_name, hire.birth_name or "", hire.first_names),
            version=1, created_at=utcnow(),
        )
        tx.session.add(employee)
        tx.session.flush()
        tx.record(events.EMPLOYEE_HIRED, subject=employee.id, member_id=member_id, data=hired_event(employee))
        tx.commit()
        return employee
