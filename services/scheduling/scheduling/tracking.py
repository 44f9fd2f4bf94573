"""Keeps each employee's stored obligations in step with the facts, inside the caller's transaction.

Called by the event handlers (employee hired, updated, exited) and by the use cases that change the visit
history (an outcome recorded); nothing here commits.
"""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .obligations import (FOLLOW_UP_VISITS, MEDICAL_VISITS, EmployeeFacts, Periods, VisitHistory,
                          compute_obligations)
from .models import Appointment, EmployeeDirectoryEntry, VisitObligation

APPRENTICE_CONTRACTS = frozenset({"apprentissage"})


def visit_history(session: Session, employee_id: str) -> VisitHistory:
    """Dates of the realised visits that matter to the rules, from this service's own appointments."""
    rows = session.execute(select(Appointment.starts_at, Appointment.visit_type, Appointment.professional_kind)
                           .where(Appointment.employee_id == employee_id, Appointment.status == "realisee")).all()
    follow_up = [s.date() for s, kind, _ in rows if kind in FOLLOW_UP_VISITS]
    medical = [s.date() for s, kind, who in rows if kind in MEDICAL_VISITS and who == "medecin"]
    mid_career = [s.date() for s, kind, _ in rows if kind == "mi_carriere"]
    post_exposure = [s.date() for s, kind, _ in rows if kind == "post_exposition"]
    return VisitHistory(last_follow_up_on=max(follow_up, default=None), last_medical_on=max(medical, default=None),
                        mid_career_done_on=max(mid_career, default=None),
                        post_exposure_done_on=max(post_exposure, default=None))


def employee_facts(session: Session, entry: EmployeeDirectoryEntry) -> EmployeeFacts | None:
    """None for an entry without a hire date (seeded before workforce sent it): no obligation is computed."""
    if entry.hire_date is None:
        return None
    return EmployeeFacts(
        birth_date=entry.birth_date, hire_date=entry.hire_date, category=entry.monitoring_category,
        category_since=entry.category_since or entry.hire_date,
        apprentice=(entry.contract or "") in APPRENTICE_CONTRACTS, before_assignment=entry.before_assignment,
        exit_date=entry.exit_date, was_reinforced=entry.was_reinforced, sir_ended_on=entry.sir_ended_on,
        history=visit_history(session, entry.employee_id))


def refresh_obligations(session: Session, employee_id: str, periods: Periods) -> list[VisitObligation]:
    """Replace the employee's stored obligations with what the rules say now."""
    session.execute(delete(VisitObligation).where(VisitObligation.employee_id == employee_id))
    entry = session.get(EmployeeDirectoryEntry, employee_id)
    facts = employee_facts(session, entry) if entry is not None else None
    if facts is None:
        return []
    rows = [VisitObligation(id=str(uuid.uuid4()), employee_id=employee_id, member_id=entry.member_id,
                            rule=o.rule, visit_type=o.visit_type, due_on=o.due_on, before_post=o.before_post)
            for o in compute_obligations(facts, periods)]
    session.add_all(rows)
    session.flush()
    return rows


def category_changed_on(entry: EmployeeDirectoryEntry, new_category: str, day: date) -> date | None:
    """The new `category_since` when workforce reports another category, else the current one."""
    if entry.monitoring_category != new_category:
        return day
    return entry.category_since or entry.hire_date
