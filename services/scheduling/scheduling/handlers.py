"""Events the scheduling service consumes: they feed the member and employee directory."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal_common.messaging.consumer import Subscription
from portal_common.messaging.envelope import Envelope

from . import directory
from .models import EmployeeDirectoryEntry, MemberDirectoryEntry

MEMBER_REGISTERED = "members.member.registered.v1"
EMPLOYEE_HIRED = "workforce.employee.hired.v1"
DIRECTORY_QUEUE = "scheduling.directory"


def on_member_registered(session: Session, event: Envelope) -> None:
    """Keeps the company name and address used on convocations."""
    directory.apply(session, MemberDirectoryEntry, directory.member_values(event.data))


def on_employee_hired(session: Session, event: Envelope) -> None:
    """Keeps the employee identity shown next to each appointment."""
    directory.apply(session, EmployeeDirectoryEntry, directory.employee_values(event.data))


SUBSCRIPTIONS = [Subscription(DIRECTORY_QUEUE, {MEMBER_REGISTERED: on_member_registered,
                                                EMPLOYEE_HIRED: on_employee_hired})]
