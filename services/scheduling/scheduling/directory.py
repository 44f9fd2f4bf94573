"""Directory read models (members, employees): apply what other services publish, newest version wins.

Used by the event handlers and by the demo seed, always inside the caller's transaction: nothing here commits.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import inspect, update
from sqlalchemy.orm import Session

from .models import EmployeeDirectoryEntry, MemberDirectoryEntry

DirectoryModel = type[MemberDirectoryEntry] | type[EmployeeDirectoryEntry]


def member_values(data: dict[str, Any]) -> dict[str, Any]:
    """Columns of a member entry from members.member.registered.v1 data."""
    address = data["address"]
    return {"member_id": data["member_id"], "member_number": data["member_number"], "name": data["name"],
            "address_line1": address["line1"], "postal_code": address["postal_code"], "city": address["city"],
            "status": data["status"], "version": int(data["version"])}


def member_contact_values(data: dict[str, Any]) -> dict[str, Any]:
    """Convocation e-mail and health centre from members.member.updated.v1 (absent means none)."""
    email = data.get("convocation_email") or next(
        (c.get("email") for c in data.get("contacts") or []
         if c.get("kind") == "contact_convocation" and c.get("email")),
        None)
    centre = data.get("health_centre") or {}
    return {"convocation_email": email, "centre_name": centre.get("name"), "centre_address": centre.get("address"),
            "centre_phone": centre.get("phone")}


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
    return {"hire_date": hire_date, "category_since": hire_date, "contract": data.get("contract"),
            "before_assignment": bool(data.get("before_assignment", False))}


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


def add_if_absent(session: Session, model: DirectoryModel, values: dict[str, Any]) -> bool:
    """Insert the entry only when none exists, whatever its version (demo seeding)."""
    if session.get(model, values[_key(model).key]) is not None:
        return False
    session.add(model(**values))
    session.flush()
    return True
