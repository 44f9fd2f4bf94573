"""Reclassification: every present employee's stored category written again with the current settings (after a
change of WORKFORCE_AUTHORISATION_CATEGORY); `python -m workforce.reclassify` runs it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from portal_common.clock import today
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ...models import Employee
from ..rules import HistoryKind
from .records import categories_of, history_line, updated_event

RECLASSIFY_BATCH = 500
RECLASSIFY_ACTOR = "system:reclassify"


@dataclass(frozen=True)
class Reclassified:
    """What a reclassification run did: employees examined, changed, and left alone because their category was
    typed in before determinants existed (never reviewed: recomputing it from no determinant would lower it)."""

    examined: int
    changed: int
    never_reviewed: int


def reclassify_employees(
    portal: Portal, *, batch_size: int = RECLASSIFY_BATCH, actor: str = RECLASSIFY_ACTOR
) -> Reclassified:
    """Every present employee's stored category recomputed with the current settings (after a change of
    WORKFORCE_AUTHORISATION_CATEGORY), one transaction per batch. Each one that changes gets a history line and
    the updated event an edit publishes, in its batch's transaction; a second run changes nothing."""
    day = today()
    present = or_(Employee.exit_date.is_(None), Employee.exit_date >= day)
    examined = changed = 0
    after = ""
    while True:
        with portal.uow() as tx:
            # Keyset paging on the id, rows locked: an edit at the same moment waits for the batch, or goes first.
            batch = list(
                tx.session.scalars(
                    select(Employee)
                    .where(Employee.id > after, Employee.category_reviewed_on.is_not(None), present)
                    .order_by(Employee.id)
                    .limit(batch_size)
                    .with_for_update()
                )
            )
            if not batch:
                break
            reclassified = []
            for employee in batch:
                categories = categories_of(portal, employee, day)
                if categories == (employee.monitoring_category, employee.base_category):
                    continue
                employee.monitoring_category, employee.base_category = categories
                tx.session.add(history_line(employee, HistoryKind.RECLASSIFIED, day, actor))
                reclassified.append(employee)
            tx.session.flush()  # the new versions, which the events carry
            for employee in reclassified:
                tx.record(
                    EventType.WORKFORCE_EMPLOYEE_UPDATED,
                    subject=employee.id,
                    member_id=employee.member_id,
                    data=updated_event(employee),
                )
            changed += len(reclassified)
            examined += len(batch)
            after = batch[-1].id
            tx.commit()
    with portal.uow() as tx:
        never_reviewed = (
            tx.session.scalar(
                select(func.count()).select_from(Employee).where(Employee.category_reviewed_on.is_(None), present)
            )
            or 0
        )
    return Reclassified(examined=examined, changed=changed, never_reviewed=never_reviewed)
