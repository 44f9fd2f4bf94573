"""Keeps each employee's stored obligations in step with the facts.

`refresh_obligations` and `refresh_many` run inside the caller's transaction and do not commit: the event
handlers (employee hired, updated, exited) and the use cases that change the visit history (an outcome
recorded) call them. Only the demo's `refresh_all_obligations` opens and commits its own unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from portal_common.service import Portal

from ..appointments.rules import AppointmentStatus, ProfessionalKind, VisitType
from ..models import Appointment, EmployeeDirectoryEntry, VisitObligation
from .rules import (
    APPRENTICE_CONTRACTS,
    FOLLOW_UP_VISITS,
    MEDICAL_VISITS,
    EmployeeFacts,
    Periods,
    VisitHistory,
    compute_obligations,
)


def visit_histories(session: Session, employee_ids: Collection[str]) -> dict[str, VisitHistory]:
    """Dates of the realised visits that matter to the rules, from this service's own appointments, per employee."""
    rows = session.execute(
        select(
            Appointment.employee_id, Appointment.starts_at, Appointment.visit_type, Appointment.professional_kind
        ).where(Appointment.employee_id.in_(employee_ids), Appointment.status == AppointmentStatus.REALISEE)
    ).all()
    visits: dict[str, list[tuple]] = {employee_id: [] for employee_id in employee_ids}
    for employee_id, starts_at, kind, who in rows:
        visits[employee_id].append((starts_at.date(), kind, who))
    return {employee_id: _history(found) for employee_id, found in visits.items()}


def _history(visits: list[tuple]) -> VisitHistory:
    follow_up = [day for day, kind, _ in visits if kind in FOLLOW_UP_VISITS]
    medical = [day for day, kind, who in visits if kind in MEDICAL_VISITS and who == ProfessionalKind.MEDECIN]
    mid_career = [day for day, kind, _ in visits if kind == VisitType.MI_CARRIERE]
    post_exposure = [day for day, kind, _ in visits if kind == VisitType.POST_EXPOSITION]
    return VisitHistory(
        last_follow_up_on=max(follow_up, default=None),
        last_medical_on=max(medical, default=None),
        mid_career_done_on=max(mid_career, default=None),
        post_exposure_done_on=max(post_exposure, default=None),
    )


def visit_history(session: Session, employee_id: str) -> VisitHistory:
    return visit_histories(session, [employee_id])[employee_id]


def employee_facts(entry: EmployeeDirectoryEntry, history: VisitHistory) -> EmployeeFacts | None:
    """None for an entry without a hire date (seeded before workforce sent it): no obligation is computed."""
    if entry.hire_date is None:
        return None
    return EmployeeFacts(
        birth_date=entry.birth_date,
        hire_date=entry.hire_date,
        category=entry.monitoring_category,
        category_since=entry.category_since or entry.hire_date,
        apprentice=(entry.contract or "") in APPRENTICE_CONTRACTS,
        before_assignment=entry.before_assignment,
        exit_date=entry.exit_date,
        was_reinforced=entry.was_reinforced,
        sir_ended_on=entry.sir_ended_on,
        history=history,
    )


def refresh_obligations(session: Session, employee_id: str, periods: Periods) -> int:
    """Replace the employee's stored obligations with what the rules say now; answers how many are due."""
    return refresh_many(session, [employee_id], periods)


def refresh_many(session: Session, employee_ids: Collection[str], periods: Periods) -> int:
    """Replace these employees' stored obligations with what the rules say now, in a few set-based statements
    whatever their number (a consumer's batch of hires)."""
    session.execute(delete(VisitObligation).where(VisitObligation.employee_id.in_(employee_ids)))
    entries = list(
        session.scalars(select(EmployeeDirectoryEntry).where(EmployeeDirectoryEntry.employee_id.in_(employee_ids)))
    )
    histories = visit_histories(session, [entry.employee_id for entry in entries])
    rows = []
    for entry in entries:
        facts = employee_facts(entry, histories[entry.employee_id])
        if facts is None:
            continue
        rows += [
            {
                "id": str(uuid.uuid4()),
                "employee_id": entry.employee_id,
                "member_id": entry.member_id,
                "rule": o.rule,
                "visit_type": o.visit_type,
                "due_on": o.due_on,
                "before_post": o.before_post,
            }
            for o in compute_obligations(facts, periods)
        ]
    if rows:
        session.execute(insert(VisitObligation), rows)
    return len(rows)


def refresh_all_obligations(portal: Portal, employee_ids: Iterable[str]) -> None:
    """Demo only: compute the obligations of seeded employees (the real path is the event handlers)."""
    with portal.uow() as tx:
        for employee_id in employee_ids:
            refresh_obligations(tx.session, employee_id, portal.settings.periods)
        tx.commit()
