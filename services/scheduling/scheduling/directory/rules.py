"""What the directory keeps from the members and workforce events, free of Flask and SQLAlchemy."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from portal_common.vocabulary import MonitoringCategory

from ..obligations.rules import needs_visit_before_assignment
from . import addressing


class KnownEmployee(Protocol):
    """The directory entry's columns a change of post or category reads."""

    monitoring_category: str
    category_since: date | None
    hire_date: date | None


def as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def member_values(data: dict[str, Any]) -> dict[str, Any]:
    """Columns of a member entry from members.member.registered.v1 data (its e-mail only when the event has one)."""
    address = data["address"]
    values = {
        "member_id": data["member_id"],
        "member_number": data["member_number"],
        "name": data["name"],
        "address_line1": address["line1"],
        "postal_code": address["postal_code"],
        "city": address["city"],
        "status": data["status"],
        "version": int(data["version"]),
    }
    if "email" in data:
        values["email"] = data["email"]
    return values


def member_contact_values(data: dict[str, Any]) -> dict[str, Any]:
    """Convocation contact and health centre from members.member.updated.v1 (absent means none)."""
    email, name = addressing.snapshot_contact(data)
    centre = data.get("health_centre") or {}
    return {
        "convocation_email": email,
        "convocation_contact": name,
        "centre_name": centre.get("name"),
        "centre_address": centre.get("address"),
        "centre_phone": centre.get("phone"),
    }


def address_values(data: dict[str, Any]) -> dict[str, Any]:
    """Columns of a convocation address from members.address.changed.v1 data."""
    return {
        "address_id": data["address_id"],
        "member_id": data["member_id"],
        "line1": data["line1"],
        "line2": data.get("line2"),
        "postal_code": data["postal_code"],
        "city": data["city"],
        "valid_from": as_date(data.get("valid_from")),
        "valid_to": as_date(data.get("valid_to")),
        "version": int(data["version"]),
    }


def employee_values(data: dict[str, Any]) -> dict[str, Any]:
    """Identity columns of an employee entry, from workforce.employee.hired.v1 or .updated.v1 data."""
    return {
        "employee_id": data["employee_id"],
        "member_id": data["member_id"],
        "last_name": data["last_name"],
        "birth_name": data["birth_name"],
        "first_names": data["first_names"],
        "birth_date": as_date(data["birth_date"]),
        "monitoring_category": data["monitoring_category"],
        "post": data.get("post"),
        "version": int(data["version"]),
    }


def hire_values(data: dict[str, Any]) -> dict[str, Any]:
    """What only the hire tells: the start date and the contract (apprentices are seen within 2 months)."""
    hire_date = as_date(data["hire_date"])
    before = bool(data.get("before_assignment")) or needs_visit_before_assignment(data.get("determinants") or ())
    return {
        "hire_date": hire_date,
        "category_since": hire_date,
        "contract": data.get("contract"),
        "before_assignment": before,
    }


def exit_values(data: dict[str, Any]) -> dict[str, Any]:
    """What workforce.employee.exited.v1 changes on the entry."""
    return {
        "employee_id": data["employee_id"],
        "exit_date": date.fromisoformat(data["exit_date"]),
        "was_reinforced": bool(data["was_reinforced"]),
        "version": int(data["version"]),
    }


def post_change_values(entry: KnownEmployee, data: dict[str, Any]) -> dict[str, Any]:
    """What workforce.employee.post_changed.v1 tells beyond the updated event: from when, and the exposures."""
    from_date = as_date(data["from_date"])
    category, previous = data["monitoring_category"], data["previous_category"]
    values: dict[str, Any] = {
        "post": data["post"],
        "monitoring_category": category,
        "before_assignment": needs_visit_before_assignment(data["determinants"]),
    }
    if category != previous:
        values["category_since"] = from_date
    elif entry.category_since is None:
        values["category_since"] = entry.hire_date
    if previous == MonitoringCategory.SIR and category != MonitoringCategory.SIR:
        values["sir_ended_on"] = from_date
    elif category == MonitoringCategory.SIR:
        values["sir_ended_on"] = None  # exposed again: a later end starts a new post-exposure visit
    return values


def category_changed_on(entry: KnownEmployee, new_category: str, day: date) -> date | None:
    """The new `category_since` when workforce reports another category, else the current one."""
    if entry.monitoring_category != new_category:
        return day
    return entry.category_since or entry.hire_date
