"""Events the scheduling service consumes: the member and employee directory, and the obligations they drive.

Every handler runs in the consumer's transaction, which the shared consumer commits once the handlers are done.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portal_common import context
from portal_common.messaging.envelope import Envelope
from portal_common.messaging.event_types import EventType
from portal_common.service import portal

from ..models import EmployeeDirectoryEntry, MemberDirectoryEntry
from ..obligations.use_cases import refresh_many, refresh_obligations
from ..visit_requests.use_cases import close_open_requests
from . import use_cases as directory
from .rules import (
    category_changed_on,
    employee_values,
    exit_values,
    hire_values,
    member_contact_values,
    member_values,
    post_change_values,
)

# Every hire reaches the directory queue: its events are applied by batches (in order, one transaction each).
DIRECTORY_BATCH = 100


class EmployeeNotYetKnown(Exception):
    """An exit arrived before the hire: the consumer retries it later."""


def _refresh(session: Session, employee_id: str) -> None:
    # Handlers run inside the worker's app context, where the configured periods live.
    refresh_obligations(session, employee_id, portal().settings.periods)


def on_member_registered(session: Session, event: Envelope) -> None:
    """Keeps the company name and address used on convocations."""
    directory.apply(session, MemberDirectoryEntry, member_values(event.data))


def on_member_updated(session: Session, event: Envelope) -> None:
    """Also keeps where convocations are e-mailed and the company's health centre."""
    directory.apply(session, MemberDirectoryEntry, member_values(event.data) | member_contact_values(event.data))


def on_contact_changed(session: Session, event: Envelope) -> None:
    """A convocation contact added, changed or removed: where the next convocation e-mail goes."""
    directory.apply_contact_change(session, event.data)


def on_address_changed(session: Session, event: Envelope) -> None:
    """The company's "adresse de convocation", printed on the convocation."""
    directory.apply_address_change(session, event.data)


def on_employee_hired(session: Session, event: Envelope) -> None:
    """Keeps the employee identity and computes the visits the hire makes due."""
    values = employee_values(event.data)
    hire = hire_values(event.data)
    if not directory.apply(session, EmployeeDirectoryEntry, values | hire):
        # An update overtook the hire: keep its newer identity, take the hire date it lacked.
        directory.fill_missing(session, EmployeeDirectoryEntry, values["employee_id"], hire)
    _refresh(session, values["employee_id"])


def on_employee_updated(session: Session, event: Envelope) -> None:
    """A new post or another category: the obligations are recomputed from the change's day."""
    values = employee_values(event.data)
    entry = session.get(EmployeeDirectoryEntry, values["employee_id"])
    if entry is not None and entry.version < values["version"]:
        values["category_since"] = category_changed_on(
            entry, values["monitoring_category"], date.fromisoformat(event.occurred_at[:10])
        )
    if directory.apply(session, EmployeeDirectoryEntry, values):
        _refresh(session, values["employee_id"])


def on_employee_post_changed(session: Session, event: Envelope) -> None:
    """A new post from a date: the category's start, the exposures calling for a visit before the post, the end
    of a SIR exposure (post-exposure visit). Workforce publishes it with the updated event of the same version,
    which has already been applied: the same version is applied again, an older one is ignored.
    """
    data = event.data
    entry = session.get(EmployeeDirectoryEntry, data["employee_id"], with_for_update=True)
    if entry is None:
        raise EmployeeNotYetKnown(data["employee_id"])
    if entry.version > int(data["version"]):
        return
    for name, value in post_change_values(entry, data).items():
        setattr(entry, name, value)
    entry.version = int(data["version"])
    session.flush()
    _refresh(session, data["employee_id"])


def on_employee_exited(session: Session, event: Envelope) -> None:
    """Only a post-exposure visit can remain due, for a worker who was in SIR; his other requests are closed."""
    data = event.data
    if session.get(EmployeeDirectoryEntry, data["employee_id"]) is None:
        raise EmployeeNotYetKnown(data["employee_id"])
    values = exit_values(data)
    if directory.apply(session, EmployeeDirectoryEntry, values):
        _refresh(session, data["employee_id"])
        close_open_requests(session, portal().outbox, data["employee_id"], values["exit_date"])


def on_directory_batch(session: Session, events: list[Envelope]) -> None:
    """A batch of the queue's events, applied in their order: each run of hires of employees not known yet is
    inserted and given its obligations in a few set-based statements (a steady hiring rate, an import), every
    other event goes to its handler."""
    hires: dict[str, Envelope] = {}
    for event in events:
        if event.type == EventType.WORKFORCE_EMPLOYEE_HIRED and event.data["employee_id"] not in hires:
            hires[event.data["employee_id"]] = event
            continue
        _apply_hires(session, list(hires.values()))
        hires = {event.data["employee_id"]: event} if event.type == EventType.WORKFORCE_EMPLOYEE_HIRED else {}
        if event.type != EventType.WORKFORCE_EMPLOYEE_HIRED:
            with context.bound(event_id=event.id, correlation_id=event.correlation_id):
                HANDLERS[event.type](session, event)
    _apply_hires(session, list(hires.values()))


def _apply_hires(session: Session, events: list[Envelope]) -> None:
    if not events:
        return
    added = directory.add_new_employees(session, [employee_values(e.data) | hire_values(e.data) for e in events])
    for event in events:
        if event.data["employee_id"] not in added:  # known already (an update overtook the hire): one by one
            on_employee_hired(session, event)
    refresh_many(session, added, portal().settings.periods)


HANDLERS = {
    EventType.MEMBERS_MEMBER_REGISTERED: on_member_registered,
    EventType.MEMBERS_MEMBER_UPDATED: on_member_updated,
    EventType.MEMBERS_CONTACT_CHANGED: on_contact_changed,
    EventType.MEMBERS_ADDRESS_CHANGED: on_address_changed,
    EventType.WORKFORCE_EMPLOYEE_HIRED: on_employee_hired,
    EventType.WORKFORCE_EMPLOYEE_UPDATED: on_employee_updated,
    EventType.WORKFORCE_EMPLOYEE_POST_CHANGED: on_employee_post_changed,
    EventType.WORKFORCE_EMPLOYEE_EXITED: on_employee_exited,
}
