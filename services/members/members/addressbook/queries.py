"""Read side of a company's addresses and contacts."""

from __future__ import annotations

from sqlalchemy import select

from portal_common.service import portal

from ..models import Address, Contact


def addresses_of(member_id: str) -> list[Address]:
    return list(
        portal().db.session.scalars(
            select(Address).where(Address.member_id == member_id).order_by(Address.kind, Address.valid_from)
        )
    )


def contacts_of(member_id: str) -> list[Contact]:
    return list(
        portal().db.session.scalars(
            select(Contact).where(Contact.member_id == member_id).order_by(Contact.kind, Contact.name)
        )
    )


def entry_of(model: type[Address] | type[Contact], member_id: str, entry_id: str) -> Address | Contact | None:
    """An address or contact of this company only: another company's id is simply not found."""
    entry = portal().db.session.get(model, entry_id)
    return entry if entry is not None and entry.member_id == member_id else None
