"""Directory read models (members, employees): apply what other services publish, newest version wins.

The event handlers call these inside the consumer's transaction, which the shared consumer commits: only
`seed_directory` (the demo's) opens and commits its own unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, inspect, select, update
from sqlalchemy.orm import Session

from portal_common.service import Portal

from ..models import ConvocationAddress, EmployeeDirectoryEntry, MemberDirectoryEntry
from . import addressing
from .rules import address_values

DirectoryModel = type[MemberDirectoryEntry] | type[EmployeeDirectoryEntry] | type[ConvocationAddress]


def apply_contact_change(session: Session, data: dict[str, Any]) -> bool:
    """members.contact.changed.v1: a convocation contact's e-mail, applied when newer than the member entry.

    The entry's version is left as it is: members' snapshot of the same version (published with the change)
    must still apply after it.
    """
    entry = session.get(MemberDirectoryEntry, data["member_id"], with_for_update=True)
    if entry is None or entry.version >= int(data["version"]):
        return False  # unknown yet (the snapshot will bring it) or already covered by a newer snapshot
    change = addressing.contact_change(data, current_email=entry.convocation_email)
    if change is None:
        return False
    entry.convocation_email, entry.convocation_contact = change
    session.flush()
    return True


def apply_address_change(session: Session, data: dict[str, Any]) -> bool:
    """members.address.changed.v1 of kind convocation: keep, replace or drop that address (newest version wins)."""
    if data["kind"] != addressing.CONVOCATION_ADDRESS_KIND:
        return False  # the main address comes with members' snapshot; billing addresses are not ours
    version = int(data["version"])
    if data["action"] == addressing.REMOVED_ACTION:
        removed = session.execute(
            delete(ConvocationAddress).where(
                ConvocationAddress.address_id == data["address_id"], ConvocationAddress.version < version
            )
        )
        return bool(removed.rowcount)
    return apply(session, ConvocationAddress, address_values(data))


def fill_missing(session: Session, model: DirectoryModel, key: str, values: dict[str, Any]) -> None:
    """Set columns still null on an entry already newer than the event that brings them (late hire event)."""
    entry = session.get(model, key)
    for name, value in values.items():
        if getattr(entry, name) is None:
            setattr(entry, name, value)
    session.flush()


def _key(model: DirectoryModel) -> Any:
    return inspect(model).primary_key[0]


def apply(session: Session, model: DirectoryModel, values: dict[str, Any]) -> bool:
    """Insert the entry or update it when `values` is strictly newer; False for a stale or repeated version."""
    key_column = _key(model)
    key = values[key_column.key]
    # One conditional UPDATE: a concurrent worker applying another version cannot be overwritten by an older one.
    changed = session.execute(
        update(model)
        .where(key_column == key, model.version < values["version"])
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount:
        session.expire_all()  # the ORM copies loaded before the UPDATE are stale
        return True
    if session.get(model, key) is not None:
        return False
    # A concurrent insert of the same entry fails on the primary key: the consumer retries the event.
    session.add(model(**values))
    session.flush()
    return True


def add_new_employees(session: Session, entries: list[dict[str, Any]]) -> list[str]:
    """Insert, in one statement, the entries of employees not in the directory yet; answers their ids."""
    known = set(
        session.scalars(
            select(EmployeeDirectoryEntry.employee_id).where(
                EmployeeDirectoryEntry.employee_id.in_([entry["employee_id"] for entry in entries])
            )
        )
    )
    fresh = [entry for entry in entries if entry["employee_id"] not in known]
    if fresh:
        # A concurrent insert of one of them fails the batch, which the consumer then applies one by one.
        session.execute(insert(EmployeeDirectoryEntry), fresh)
    return [entry["employee_id"] for entry in fresh]


def add_if_absent(session: Session, model: DirectoryModel, values: dict[str, Any]) -> bool:
    """Insert the entry only when none exists, whatever its version (demo seeding)."""
    if session.get(model, values[_key(model).key]) is not None:
        return False
    session.add(model(**values))
    session.flush()
    return True


def seed_directory(portal: Portal, members: Iterable[dict[str, Any]], employees: Iterable[dict[str, Any]]) -> int:
    """Demo only: add directory entries that are absent, at version 1, so the real events become no-ops.

    Returns how many entries were added.
    """
    added = 0
    with portal.uow() as tx:
        for values in members:
            added += add_if_absent(tx.session, MemberDirectoryEntry, values)
        for values in employees:
            added += add_if_absent(tx.session, EmployeeDirectoryEntry, values)
        tx.commit()
    return added
