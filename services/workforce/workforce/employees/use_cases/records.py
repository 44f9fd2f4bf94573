"""Use cases of the employee record: hire, correct, change post, exit. Each opens its unit of work, applies the
rules, records the events and commits; the version counter of the row is raised by SQLAlchemy at the flush."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from portal_common.clock import today, utcnow
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ...models import Employee, EmployeeHistory
from ..communes import communes
from ..rules import (
    DuplicateEmployee,
    ExitCommand,
    HireCommand,
    HireRejected,
    HistoryKind,
    MonitoringCategory,
    PostChange,
    StaleEmployee,
    base_category,
    birth_place_warnings,
    check_correction,
    check_exit,
    check_hire,
    check_nir_agreement,
    check_post_change,
    check_workplace,
    classify,
    initial_of,
    mask_nir,
    nir_warnings,
    search_text,
)


@dataclass
class Saved:
    """A written employee and the NIR warnings to show (never refusals)."""

    employee: Employee
    warnings: list[str] = field(default_factory=list)


def updated_event(employee: Employee) -> dict:
    """What scheduling and billing keep of an employee: identity and job, never the NIR."""
    return {
        "employee_id": employee.id,
        "member_id": employee.member_id,
        "last_name": employee.last_name,
        "birth_name": employee.birth_name,
        "first_names": employee.first_names,
        "birth_date": employee.birth_date.isoformat(),
        "post": employee.post,
        "determinants": list(employee.determinant_codes),
        "monitoring_category": employee.monitoring_category,
        "version": employee.version,
    }


def hired_event(employee: Employee) -> dict:
    """The updated event's data and what a hire adds: the date and the contract."""
    return updated_event(employee) | {"hire_date": employee.hire_date.isoformat(), "contract": employee.contract}


def exited_event(employee: Employee, was_reinforced: bool) -> dict:
    return {
        "employee_id": employee.id,
        "member_id": employee.member_id,
        "exit_date": employee.exit_date.isoformat(),
        "reason": employee.exit_reason,
        "was_reinforced": was_reinforced,
        "version": employee.version,
    }


def post_changed_event(employee: Employee, previous_post: str, previous_category: str) -> dict:
    """The new post, its determinants (work conditions, never health data) and category; never the NIR."""
    return {
        "employee_id": employee.id,
        "member_id": employee.member_id,
        "post": employee.post,
        "pcs_code": employee.pcs_code,
        "from_date": employee.post_since.isoformat(),
        "previous_post": previous_post,
        "determinants": list(employee.determinant_codes),
        "monitoring_category": employee.monitoring_category,
        "previous_category": previous_category,
        "version": employee.version,
    }


def categories_of(portal: Portal, employee: Employee, on: date) -> tuple[MonitoringCategory, MonitoringCategory]:
    """(the full category on `on`, the base category without age), with the current settings."""
    policy = portal.settings.category_policy
    codes = employee.determinant_codes
    return (
        classify(
            codes,
            birth_date=employee.birth_date,
            on=on,
            adapted_undisclosed=employee.adapted_undisclosed,
            policy=policy,
        ).category,
        base_category(codes, adapted_undisclosed=employee.adapted_undisclosed, policy=policy),
    )


def _classify(portal: Portal, employee: Employee, on: date) -> None:
    employee.monitoring_category, employee.base_category = categories_of(portal, employee, on)
    employee.category_reviewed_on = on


def history_line(employee: Employee, kind: HistoryKind, effective_on: date, actor: str) -> EmployeeHistory:
    return EmployeeHistory(
        id=str(uuid.uuid4()),
        employee_id=employee.id,
        member_id=employee.member_id,
        kind=kind,
        effective_on=effective_on,
        post=employee.post,
        pcs_code=employee.pcs_code,
        determinants=employee.determinants,
        monitoring_category=employee.monitoring_category,
        exit_reason=employee.exit_reason,
        recorded_by=actor[:200],
        recorded_at=utcnow(),
    )


def _present_with_nir(session, member_id: str, nir_hash: str, employee_id: str, day: date) -> str | None:
    stmt = (
        select(Employee.id)
        .where(
            Employee.member_id == member_id,
            Employee.nir_hash == nir_hash,
            Employee.id != employee_id,
            or_(Employee.exit_date.is_(None), Employee.exit_date >= day),
        )
        .limit(1)
    )
    # Not flushed first: the row being written would get a version for a half-made change.
    with session.no_autoflush:
        return session.scalar(stmt)


def _refuse_duplicate(session, member_id: str, nir_hash: str, employee_id: str, day: date) -> None:
    found = _present_with_nir(session, member_id, nir_hash, employee_id, day)
    if found is not None:
        raise DuplicateEmployee(found)


def _apply(portal: Portal, employee: Employee, hire: HireCommand) -> list[str]:
    """Writes the checked fields of a hire or a correction onto the row; answers the NIR warnings."""
    vault = portal.settings.nir_vault
    warnings = nir_warnings(hire.nir, hire.sex, hire.birth_date) + birth_place_warnings(
        hire.nir, hire.birth_commune, hire.birth_country
    )
    employee.birth_commune, employee.birth_country = hire.birth_commune, hire.birth_country
    employee.last_name, employee.birth_name = hire.last_name, hire.birth_name or hire.last_name
    employee.first_names, employee.sex, employee.birth_date = hire.first_names, hire.sex, hire.birth_date
    employee.nir_masked, employee.nir_hash = mask_nir(hire.nir), vault.blind_index(hire.nir)
    employee.nir_encrypted = vault.encrypt(hire.nir, employee.id)
    employee.nir_consistent = not warnings
    employee.hire_date, employee.post, employee.pcs_code = hire.hire_date, hire.post, hire.pcs_code
    employee.contract, employee.multi_employer = hire.contract, hire.multi_employer
    employee.determinants = ",".join(hire.determinants)
    employee.sir_justification, employee.adapted_undisclosed = hire.sir_justification, hire.adapted_undisclosed
    employee.convocation_constraints, employee.comment = hire.convocation_constraints, hire.comment
    employee.initial = initial_of(hire.last_name)
    employee.search_text = search_text(hire.last_name, hire.birth_name or "", hire.first_names)
    return warnings


def hire_employee(
    portal: Portal, member_id: str, command: HireCommand, *, employee_id: str | None = None, actor: str = "system"
) -> Saved:
    """An employee joins a member company; scheduling and members learn it from the event.

    `employee_id` lets the demo loader and imports keep stable ids; a new uuid otherwise.
    """
    day = today()
    # Typed by hand: a NIR contradicting the sex, birth date or place beside it is refused there and then; imports
    # list the same facts as warnings instead (a payroll file is not corrected line by line).
    hire = check_nir_agreement(check_hire(command, today=day, communes=communes()))
    with portal.uow() as tx:
        try:
            saved = add_hire(tx, portal, member_id, hire, day, employee_id=employee_id, actor=actor)
            tx.commit()
        except IntegrityError:
            # The same hire committed meanwhile (a double click, a retried call): the partial unique index of
            # present employees refused this one, and the answer names the employee that won.
            tx.rollback()
            nir_hash = portal.settings.nir_vault.blind_index(hire.nir)
            found = _present_with_nir(tx.session, member_id, nir_hash, "", day)
            if found is None:
                raise
            raise DuplicateEmployee(found) from None
        return saved


def add_hire(
    tx,
    portal: Portal,
    member_id: str,
    hire: HireCommand,
    day: date,
    *,
    employee_id: str | None = None,
    actor: str,
    batch: bool = False,
    workplace_siret: str | None = None,
) -> Saved:
    """Adds a hire already through `check_hire` to the transaction, with its history and hired event.

    `batch` is for an import: it has checked duplicates for all its lines at once, and records the hired
    events of all of them in one go (`hired_event` of each saved employee), so nothing is flushed here.
    `workplace_siret` is the SIRET of the establishment where the employee works (a DSN declares it).
    """
    employee = Employee(id=employee_id or str(uuid.uuid4()), member_id=member_id, exit_date=None, created_at=utcnow())
    warnings = _apply(portal, employee, hire)
    employee.workplace_siret = check_workplace(workplace_siret)
    if not batch:
        _refuse_duplicate(tx.session, member_id, employee.nir_hash, employee.id, day)
    employee.post_since = hire.hire_date
    _classify(portal, employee, day)
    tx.session.add(employee)
    tx.session.add(history_line(employee, HistoryKind.HIRED, hire.hire_date, actor))
    if not batch:
        tx.session.flush()
        tx.record(
            EventType.WORKFORCE_EMPLOYEE_HIRED, subject=employee.id, member_id=member_id, data=hired_event(employee)
        )
    return Saved(employee, warnings)


def _locked(tx, employee_id: str) -> Employee:
    employee = tx.session.get(Employee, employee_id, with_for_update=True)
    if employee is None:
        raise LookupError(employee_id)
    return employee


def _stored_nir(portal: Portal, employee: Employee) -> str:
    if not employee.nir_encrypted:  # a row from before encryption: the number must be typed again
        raise HireRejected({"nir": "Aucun numéro n'est enregistré pour ce salarié : saisissez-le en entier."})
    return portal.settings.nir_vault.decrypt(employee.nir_encrypted, employee.id)


def correct_employee(
    portal: Portal, employee_id: str, command: HireCommand, *, actor: str, expected_version: int | None = None
) -> Saved:
    """Corrects the record (civil status, NIR, contract, determinants); publishes the updated event.

    An empty NIR keeps the stored one (employers never get it back to send it again, docs/security.md DP-02).
    `expected_version` is the version the caller read (If-Match, the form's hidden field): StaleEmployee when the
    row has another one now, checked under the row lock so the check and the write are one step."""
    day = today()
    with portal.uow() as tx:
        employee = _locked(tx, employee_id)
        if expected_version is not None and employee.version != expected_version:
            raise StaleEmployee(employee.version)
        if not command.nir.strip():
            command = replace(command, nir=_stored_nir(portal, employee))
        checked = check_hire(command, today=day, communes=communes(), stored_commune=employee.birth_commune)
        hire = check_nir_agreement(checked)
        saved = record_correction(tx, portal, employee, hire, day, actor=actor)
        tx.commit()
        return saved


def record_correction(tx, portal: Portal, employee: Employee, hire: HireCommand, day: date, *, actor: str) -> Saved:
    """A correction already through `check_hire`, written in the caller's transaction with its updated event
    (the record form, and a DSN import with its other changes)."""
    check_correction(hire, exit_date=employee.exit_date)
    warnings = _apply(portal, employee, hire)
    _refuse_duplicate(tx.session, employee.member_id, employee.nir_hash, employee.id, day)
    if employee.post_since is None or employee.post_since < hire.hire_date:
        employee.post_since = hire.hire_date
    _classify(portal, employee, day)
    _record_updated(tx, employee, HistoryKind.CORRECTED, day, actor)
    return Saved(employee, warnings)


def change_post(
    portal: Portal, employee_id: str, change: PostChange, *, actor: str, expected_version: int | None = None
) -> Employee:
    """A new post from a date, kept in the history with its determinants and category. `expected_version` (the
    form's hidden field, an If-Match): StaleEmployee when the record changed since, checked under the row lock."""
    day = today()
    with portal.uow() as tx:
        employee = _locked(tx, employee_id)
        if expected_version is not None and employee.version != expected_version:
            raise StaleEmployee(employee.version)
        employee = record_post_change(tx, portal, employee, change, day, actor=actor)
        tx.commit()
        return employee


def record_post_change(
    tx, portal: Portal, employee: Employee, change: PostChange, day: date, *, actor: str
) -> Employee:
    """A new post checked and written in the caller's transaction, with its updated and post-changed events."""
    checked = check_post_change(
        change,
        current_from=employee.post_since or employee.hire_date,
        hire_date=employee.hire_date,
        exit_date=employee.exit_date,
        today=day,
    )
    previous_post, previous_category = employee.post, employee.monitoring_category
    employee.post, employee.pcs_code, employee.post_since = checked.post, checked.pcs_code, checked.from_date
    employee.determinants = ",".join(checked.determinants)
    employee.sir_justification = checked.sir_justification
    employee.adapted_undisclosed = checked.adapted_undisclosed
    _classify(portal, employee, day)
    _record_updated(tx, employee, HistoryKind.POST_CHANGED, checked.from_date, actor)
    tx.record(
        EventType.WORKFORCE_EMPLOYEE_POST_CHANGED,
        subject=employee.id,
        member_id=employee.member_id,
        data=post_changed_event(employee, previous_post, previous_category),
    )
    return employee


def _record_updated(tx, employee: Employee, kind: HistoryKind, day: date, actor: str) -> None:
    """The history line of a change (a correction, a new post) and its updated event, which carries the new
    version."""
    tx.session.add(history_line(employee, kind, day, actor))
    tx.session.flush()  # the new version, which the event carries
    tx.record(
        EventType.WORKFORCE_EMPLOYEE_UPDATED,
        subject=employee.id,
        member_id=employee.member_id,
        data=updated_event(employee),
    )


def record_workplace(tx, employee: Employee, siret: str | None, day: date, *, actor: str) -> Employee:
    """A new workplace (the SIRET of the establishment where the employee works, or None), written in the caller's
    transaction as a correction of the record, with its updated event (the new version)."""
    employee.workplace_siret = check_workplace(siret)
    _record_updated(tx, employee, HistoryKind.CORRECTED, day, actor)
    return employee


def exit_employee(portal: Portal, employee_id: str, command: ExitCommand, *, actor: str) -> Employee:
    """The employee leaves; `was_reinforced` tells scheduling a post-exposure visit is due (R4624-28-2)."""
    with portal.uow() as tx:
        employee = record_exit(tx, _locked(tx, employee_id), command, actor=actor)
        tx.commit()
        return employee


def record_exit(tx, employee: Employee, command: ExitCommand, *, actor: str) -> Employee:
    """An exit checked and written in the caller's transaction, with its exited event."""
    check_exit(command, hire_date=employee.hire_date, already_left=employee.exit_date, employee_id=employee.id)
    employee.exit_date, employee.exit_reason = command.exit_date, command.reason
    tx.session.add(history_line(employee, HistoryKind.EXITED, command.exit_date, actor))
    tx.session.flush()  # the new version, which the event carries
    tx.record(
        EventType.WORKFORCE_EMPLOYEE_EXITED,
        subject=employee.id,
        member_id=employee.member_id,
        data=exited_event(employee, was_reinforced=employee.monitoring_category == MonitoringCategory.SIR),
    )
    return employee
