"""Events the members service consumes."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from portal_common.messaging.consumer import Subscription
from portal_common.messaging.envelope import Envelope

from .models import Member

EMPLOYEE_HIRED = "workforce.employee.hired.v1"


def on_employee_hired(session: Session, event: Envelope) -> None:
    """Keeps the 'salariés suivis' count shown on the company record."""
    session.execute(update(Member).where(Member.id == event.data["member_id"])
                    .values(employees_followed=Member.employees_followed + 1))


SUBSCRIPTIONS = [Subscription("members.headcount", {EMPLOYEE_HIRED: on_employee_hired})]
