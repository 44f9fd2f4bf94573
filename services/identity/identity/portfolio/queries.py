"""The user's client companies, from their member links and identity's directory (one query)."""

from __future__ import annotations

from sqlalchemy import select

from portal_common.service import Portal

from ..models import MemberDirectoryEntry, MemberLink
from ..team.rules import role_labels
from . import clients as columns_client
from .rules import Client, Row, compose


def clients_of(portal: Portal, user_id: str) -> list[Client]:
    rows = portal.db.session.execute(
        select(MemberLink, MemberDirectoryEntry)
        .join(MemberDirectoryEntry, MemberDirectoryEntry.member_id == MemberLink.member_id)
        .where(MemberLink.user_id == user_id)
        .order_by(MemberDirectoryEntry.name)
    ).all()
    return [
        Client(entry.member_id, entry.member_number, entry.name, tuple(role_labels(link.role_set)))
        for link, entry in rows
    ]


def portfolio(portal: Portal, user_id: str) -> list[Row]:
    """Every client of the user with each service's columns (one batch read per service)."""
    clients = clients_of(portal, user_id)
    return compose(clients, columns_client.portfolio_columns(portal, [c.member_id for c in clients]))
