"""Directory read models (members, employees): apply what other services publish, newest version wins.

Used by the event handlers and by the demo seed, always inside the caller's transaction: nothing here commits.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, insert, inspect, select, update
from sqlalchemy.orm import Session

from . import addressing
from .models import ConvocationAddress, EmployeeDirectoryEntry, MemberDirectoryEntry
from .obligations import needs_visit_before_assignment

DirectoryModel = type[MemberDirectoryEntry] | type[EmployeeDirectoryEntry] | type[ConvocationAddress]


def member_values(data: dict[str, Any]) -> dict[str, Any]:
    """Columns of a member entry from members.member.registered.v1 data (its e-mail only when the event has one)."""
    address = data["address"]
    values = {"member_id": data["member_id"], "member_number": data["member_number"], "name": data["name"],
              "address_line1": address["line1"], "postal_code": address["postal_code"], "city": address["city"],
              "status": data["status"], "version": int(data["version"])}
    if "email" in data:
        values["email"] = data["email"]
    return values


def member_contact_values(data: dict[str, Any]) -> dict[str, Any]:
    """Convocation contact and health centre from members.member.updated.v1 (absent means none)."""
    email, name = addressing.snapshot_contact(data)
    centre = data.get("health_centre") or {}
    return {"convocation_email": email, "convocation_contact": name, "centre_name": centre.get("name"),
            "centre_address": centre.get("address"), "centre_phone": centre.get("phone")}


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
    if data["action"] == "removed":
        removed = session.execute(delete(ConvocationAddress).where(
            ConvocationAddress.address_id == data["address_id"], ConvocationAddress.version < version))
        return bool(removed.rowcount)
    return apply(session, ConvocationAddress, {
        "address_id": data["address_id"], "member_id": data["member_id"], "line1": data["line1"],
        "line2": data.get("line2"), "postal_code": data["postal_code"], "city": data["city"],
        "valid_from": _date(data.get("valid_from")), "valid_to": _date(data.get("valid_to")), "version": version})


def convocation_addresses(session: Session, member_id: str) -> list[addressing.PostalAddress]:
    rows = session.scalars(select(ConvocationAddress).where(ConvocationAddress.member_id == member_id))
    return [addressing.PostalAddress(line1=r.line1, line2=r.line2, postal_code=r.postal_code, city=r.city,
                                     valid_from=r.valid_from, valid_to=r.valid_to) for r in rows]


def _date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def employee_values(data: dict[str, Any]) -> dict[str, Any]:
    """Identity columns of an employee entry, from workforce.employee.hired.v1 or .updated.v1 data."""
    return {"employee_id": data["employee_id"], "member_id": data["member_id"], "last_name": data["last_name"],
            "birth_name": data["birth_name"], "first_names": data["first_names"],
            "birth_date": _date(data["birth_date"]), "monitoring_category": data["monitoring_category"],
            "post": data.get("post"), "version": int(data["version"])}


def hire_values(data: dict[str, Any]) -> dict[str, Any]:
    """What only the hire tells: the start date and the contract (apprentices are seen within 2 months)."""
    hire_date = _date(data["hire_date"])
    before = bool(data.get("before_assignment")) or needs_visit_before_assignment(data.get("determinants") or ())
    return {"hire_date": hire_date, "category_since": hire_date, "contract": data.get("contract"),
            "before_assignment": before}


def post_change_values(entry: EmployeeDirectoryEntry, data: dict[str, Any]) -> dict[str, Any]:
    """What workforce.employee.post_changed.v1 tells beyond the updated event: from when, and the exposures."""
    from_date = _date(data["from_date"])
    category, previous = data["monitoring_category"], data["previous_category"]
    values: dict[str, Any] = {"post": data["post"], "monitoring_category": category,
                              "before_assignment": needs_visit_before_assignment(data["determinants"])}
    if category != previous:
        values["category_since"] = from_date
    elif entry.category_since is None:
        values["category_since"] = entry.hire_date
    if previous == "SIR" and category != "SIR":
        values["sir_ended_on"] = from_date
    elif category == "SIR":
        values["sir_ended_on"] = None  # exposed again: a later end starts a new post-exposure visit
    return values


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
    changed = session.execute(update(model).where(key_column == key, model.version < values["version"])
                              .values(**values).execution_options(synchronize_session=False))
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
    known = set(session.scalars(select(EmployeeDirectoryEntry.employee_id).where(
        EmployeeDirectoryEntry.employee_id.in_([entry["employee_id"] for entry in entries]))))
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
