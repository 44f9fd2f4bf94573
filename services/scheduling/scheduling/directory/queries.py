"""Read side of the directory: the companies and employees other services told us about."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_common.service import portal

from ..appointments.queries import LIST_LIMIT
from ..models import ConvocationAddress, EmployeeDirectoryEntry, MemberDirectoryEntry
from . import addressing


def get_member(member_id: str) -> MemberDirectoryEntry | None:
    return portal().db.session.get(MemberDirectoryEntry, member_id)


def get_employee(employee_id: str) -> EmployeeDirectoryEntry | None:
    return portal().db.session.get(EmployeeDirectoryEntry, employee_id)


def company_employees(member_id: str) -> list[EmployeeDirectoryEntry]:
    """The employees of a company known here, for the page's filter."""
    stmt = (
        select(EmployeeDirectoryEntry)
        .where(EmployeeDirectoryEntry.member_id == member_id)
        .order_by(EmployeeDirectoryEntry.last_name, EmployeeDirectoryEntry.first_names)
    )
    return list(portal().db.session.scalars(stmt.limit(LIST_LIMIT)))


def convocation_addresses(session: Session, member_id: str) -> list[addressing.PostalAddress]:
    """A company's convocation addresses, read in the caller's transaction (a placement's)."""
    rows = session.scalars(select(ConvocationAddress).where(ConvocationAddress.member_id == member_id))
    return [
        addressing.PostalAddress(
            line1=r.line1,
            line2=r.line2,
            postal_code=r.postal_code,
            city=r.city,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
        )
        for r in rows
    ]
