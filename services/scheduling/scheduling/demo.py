"""Demo data of the scheduling service: directory entries (only when absent), appointments, obligations.

Dataset keys read: "members", "employees" (hire_date, contract, post and exit_date optional), "appointments".
Running it twice adds nothing; the employees' visit obligations are then computed from the same rules as live.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from portal_common.service import Portal

from .appointments.rules import Place, ScheduleCommand
from .appointments.use_cases import schedule_appointment
from .directory.use_cases import seed_directory
from .models import Appointment
from .obligations.use_cases import refresh_all_obligations

# Demo entries stand for version 1 of the real events, which then arrive as no-ops.
DEMO_VERSION = 1


def _member(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "member_id": item["id"],
        "member_number": item["member_number"],
        "name": item["name"],
        "address_line1": item["address_line1"],
        "postal_code": item["postal_code"],
        "city": item["city"],
        "status": item.get("status", "active"),
        "version": DEMO_VERSION,
        "email": item.get("email"),
    }


def _optional_date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _employee(item: dict[str, Any]) -> dict[str, Any]:
    """Identity and what the obligation rules need; the demo's NIR and other fields are not kept here."""
    hire_date = _optional_date(item.get("hire_date"))
    return {
        "employee_id": item["id"],
        "member_id": item["member_id"],
        "last_name": item["last_name"],
        "birth_name": item["birth_name"],
        "first_names": item["first_names"],
        "birth_date": date.fromisoformat(str(item["birth_date"])),
        "monitoring_category": item["monitoring_category"],
        "version": DEMO_VERSION,
        "hire_date": hire_date,
        "category_since": hire_date,
        "contract": item.get("contract"),
        "post": item.get("post"),
        "exit_date": _optional_date(item.get("exit_date")),
    }


def _place(value: dict[str, str] | str) -> Place:
    """`{"name", "address"}`, or one text "Centre, address" split at the first comma."""
    if isinstance(value, dict):
        return Place(name=value["name"], address=value["address"])
    name, _, address = value.partition(",")
    return Place(name=name, address=address or name)


def _command(item: dict[str, Any]) -> ScheduleCommand:
    return ScheduleCommand(
        member_id=item["member_id"],
        employee_id=item["employee_id"],
        starts_at=datetime.fromisoformat(item["starts_at"]),
        duration_minutes=int(item["duration_minutes"]),
        visit_type=item["visit_type"],
        place=_place(item["place"]),
        professional_kind=item["professional_kind"],
        status=item["status"],
        allow_past=True,
    )


def load(portal: Portal, dataset: dict) -> None:
    seed_directory(
        portal, [_member(m) for m in dataset.get("members", [])], [_employee(e) for e in dataset.get("employees", [])]
    )
    wanted = dataset.get("appointments", [])
    with portal.db.session_factory() as session:
        existing = set(session.scalars(select(Appointment.id).where(Appointment.id.in_([a["id"] for a in wanted]))))
    for item in wanted:
        if item["id"] not in existing:
            schedule_appointment(portal, _command(item), appointment_id=item["id"])
    # Obligations are derived data: recomputing them is idempotent and follows the seeded visits.
    refresh_all_obligations(portal, [e["id"] for e in dataset.get("employees", [])])
