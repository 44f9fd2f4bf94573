"""Keeps each employee's stored obligations in step with the facts, inside the caller's transaction.

Called by the event handlers (employee hired, updated, exited) and by the use cases that change the visit
history (an outcome recorded); nothing here commits.
"""
from __future__ import annotations

import uuid
from datetime import date
from typing import Collection

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from .obligations import (FOLLOW_UP_VISITS, MEDICAL_VISITS, EmployeeFacts, Periods, VisitHistory,
                          compute_obligations)
from .models import Appointment, EmployeeDirectoryEntry, VisitObligation

APPRENTICE_CONTRACTS = frozenset({"apprentissage"})


def visit_histories(session: Session, employee_ids: Collection[str]) -> dict[str, VisitHistory]:
    """Dates of the realised visits that matter to the rules, from this service's own appointments, per employee."""
    rows = session.execute(select(Appointment.employee_id, Appointment.starts_at, Appointment.visit_type,
                                  Appointment.professional_kind)
                           .where(Appointment.employee_id.in_(employee_ids), Appointment.status == "realisee")).all()
    visits: dict[str, list[tuple]] = {employee_id: [] for employee_id in employee_ids}
    for employee_id, starts_at, kind, who in rows:
        visits[employee_id].append((starts_at.date(), kind, who))
    return {employee_id: _history(found) for employee_id, found in visits.items()}


def _history(visits: list[tuple]) -> VisitHistory:
    follow_up = [day for day, kind, _ in visits if kind in FOLLOW_UP_VISITS]
    medical = [day for day, kind, who in visits if kind in MEDICAL_VISITS and who == "medecin"]
    mid_career = [day for day, kind, _ in visits if kind == "mi_carriere"]
    post_exposure = [day for day, kind, _ in visits if kind == "post_exposition"]
    return VisitHistory(last_follow_up_on=max(follow_up, default=None), last_medical_on=max(medical, default=None),
                        mid_career_done_on=max(mid_career, default=None),
                        post_exposure_done_on=max(post_exposure, default=None))


def visit_history(session: Session, employee_id: str) -> VisitHistory:
    return visit_histories(session, [employee_id])[employee_id]


def employee_facts(entry: EmployeeDirectoryEntry, history: VisitHistory) -> EmployeeFacts | None:
    """None for an entry without a hire date (seeded before workforce sent it): no obligation is computed."""
    if entry.hire_date is None:
        return None
    return EmployeeFacts(
        birth_date=entry.birth_date, hire_date=entry.hire_date, category=entry.monitoring_category,
        category_since=entry.category_since or entry.hire_date,
        apprentice=(entry.contract or "") in APPRENTICE_CONTRACTS, before_assignment=entry.before_assignment,
        exit_date=entry.exit_date, was_reinforced=entry.was_reinforced, sir_ended_on=entry.sir_ended_on,
        history=history)


def refresh_obligations(session: Session, employee_id: str, periods: Periods) -> int:
    """Replace the employee's stored obligations with what the rules say now; answers how many are due."""
    return refresh_many(session, [employee_id], periods)


def refresh_many(session: Session, employee_ids: Collection[str], periods: Periods) -> int:
    """Replace these employees' stored obligations with what the rules say now, in a few set-based statements
    whatever their number (a consumer's batch of hires)."""
    session.execute(delete(VisitObligation).where(VisitObligation.employee_id.in_(employee_ids)))
    entries = list(session.scalars(select(EmployeeDirectoryEntry)
                                   .where(EmployeeDirectoryEntry.employee_id.in_(employee_ids))))
    histories = visit_histories(session, [entry.employee_id for entry in entries])
    rows = []
    for entry in entries:
        facts = employee_facts(entry, histories[entry.employee_id])
        if facts is None:
            continue
        rows += [{"id": str(uuid.uuid4()), "employee_id": entry.employee_id, "member_id": entry.member_id,
                  "rule": o.rule, "visit_type": o.visit_type, "due_on": o.due_on, "before_post": o.before_post}
                 for o in compute_obligations(facts, periods)]
    if rows:
        session.execute(insert(VisitObligation), rows)
    return len(rows)


def category_changed_on(entry: EmployeeDirectoryEntry, new_category: str, day: date) -> date | None:
    """The new `category_since` when workforce reports another category, else the current one."""
    if entry.monitoring_category != new_category:
        return day
    return entry.category_since or entry.hire_date
