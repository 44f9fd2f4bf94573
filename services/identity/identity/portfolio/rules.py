"""The accounting firm's portfolio as a table: one row per client company, the columns each service gave,
sorted, filtered and exported as CSV for French Excel. Pure: the rows come from portfolio.queries.

A column its service could not give is None and shows « indisponible »: the page still answers, sorted on
what it has (unknown values last)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from portal_common.formats import date_fr, money_fr
from portal_common.french_csv import to_french_csv

SERVICES = ("workforce", "billing", "scheduling", "members")
UNAVAILABLE = "indisponible"


class SortKey(StrEnum):
    NAME = "nom"
    NUMBER = "numero"
    DECLARATION = "declaration"
    DEADLINE = "echeance"
    BALANCE = "solde"
    OVERDUE = "retards"
    REQUESTS = "demandes"


class Show(StrEnum):
    """The filter of the table: every client, or those with something to do."""

    ALL = "tous"
    TO_DECLARE = "a-declarer"
    BALANCE_DUE = "solde-du"
    OVERDUE = "visites-en-retard"
    REQUESTS = "demandes-en-attente"


SHOW_LABELS = {
    Show.ALL: "Tous les clients",
    Show.TO_DECLARE: "Déclaration à faire",
    Show.BALANCE_DUE: "Solde dû",
    Show.OVERDUE: "Visites en retard",
    Show.REQUESTS: "Demandes en attente",
}
SORT_LABELS = {
    SortKey.NAME: "Raison sociale",
    SortKey.NUMBER: "N° adhérent",
    SortKey.DECLARATION: "Déclaration",
    SortKey.DEADLINE: "Date limite",
    SortKey.BALANCE: "Solde dû",
    SortKey.OVERDUE: "Visites en retard",
    SortKey.REQUESTS: "Demandes en attente",
}


@dataclass(frozen=True)
class Client:
    """One client company as identity knows it (its link to the user)."""

    member_id: str
    member_number: str
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    client: Client
    year: int | None = None
    declaration_status: str | None = None
    declaration_label: str | None = None
    deadline: date | None = None
    to_declare: bool | None = None
    declaration_page: str | None = None
    balance_due: Decimal | None = None
    overdue_visits: int | None = None
    first_due_on: date | None = None
    pending_requests: int | None = None
    missing: frozenset[str] = field(default_factory=frozenset)

    @property
    def needs_attention(self) -> bool:
        return bool(self.to_declare or (self.balance_due or 0) > 0 or self.overdue_visits or self.pending_requests)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def compose(clients: Iterable[Client], columns: Mapping[str, Mapping[str, Mapping[str, Any]] | None]) -> list[Row]:
    """A row per client from each service's answer (`columns[service]` None: the service did not answer).

    A service that answered but does not know a client gives it no value either (a company just registered)."""
    missing = frozenset(service for service in SERVICES if columns.get(service) is None)
    rows = []
    for client in clients:
        work = (columns.get("workforce") or {}).get(client.member_id) or {}
        bill = (columns.get("billing") or {}).get(client.member_id) or {}
        visits = (columns.get("scheduling") or {}).get(client.member_id) or {}
        record = (columns.get("members") or {}).get(client.member_id) or {}
        rows.append(
            Row(
                client=client,
                year=_count(work.get("campaign_year")),
                declaration_status=work.get("declaration_status")
                if isinstance(work.get("declaration_status"), str)
                else None,
                declaration_label=work.get("declaration_label")
                if isinstance(work.get("declaration_label"), str)
                else None,
                deadline=_date(work.get("deadline")),
                to_declare=work.get("to_declare") if isinstance(work.get("to_declare"), bool) else None,
                declaration_page=_local(work.get("declaration_page")),
                balance_due=_amount(bill.get("balance_due")),
                overdue_visits=_count(visits.get("overdue_visits")),
                first_due_on=_date(visits.get("first_due_on")),
                pending_requests=_count(record.get("pending_requests")),
                missing=missing,
            )
        )
    return rows


def _local(value: Any) -> str | None:
    """A page of the portal a service named (a path of its own, never another site)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def parse_sort(value: str | None) -> SortKey:
    return SortKey(value) if value in set(SortKey) else SortKey.NAME


def parse_show(value: str | None) -> Show:
    return Show(value) if value in set(Show) else Show.ALL


def _keep(row: Row, show: Show, query: str) -> bool:
    if query and query not in row.client.name.casefold() and query not in row.client.member_number:
        return False
    if show is Show.TO_DECLARE:
        return bool(row.to_declare)
    if show is Show.BALANCE_DUE:
        return (row.balance_due or 0) > 0
    if show is Show.OVERDUE:
        return bool(row.overdue_visits)
    if show is Show.REQUESTS:
        return bool(row.pending_requests)
    return True


def _sort_value(row: Row, key: SortKey) -> Any:
    if key is SortKey.NUMBER:
        return row.client.member_number
    if key is SortKey.DECLARATION:
        return row.declaration_label
    if key is SortKey.DEADLINE:
        return row.deadline
    if key is SortKey.BALANCE:
        return row.balance_due
    if key is SortKey.OVERDUE:
        return row.overdue_visits
    if key is SortKey.REQUESTS:
        return row.pending_requests
    return row.client.name.casefold()


def table(rows: Iterable[Row], *, sort: SortKey, descending: bool, show: Show, query: str = "") -> list[Row]:
    """The rows shown: filtered, then sorted on `sort` (unknown values last either way, ties by name)."""
    wanted = query.strip().casefold()
    kept = sorted((row for row in rows if _keep(row, show, wanted)), key=lambda row: row.client.name.casefold())
    known = [row for row in kept if _sort_value(row, sort) is not None]
    unknown = [row for row in kept if _sort_value(row, sort) is None]
    known.sort(key=lambda row: _sort_value(row, sort), reverse=descending)
    return known + unknown


def next_to_declare(rows: Iterable[Row], after: str | None = None) -> Row | None:
    """The next client (by name) with a declaration still to make, after the one named `after` and wrapping round;
    None once every client has declared."""
    waiting = sorted((row for row in rows if row.to_declare), key=lambda row: row.client.name.casefold())
    if not waiting:
        return None
    names = [row.client.member_id for row in waiting]
    if after in names:
        position = names.index(after)
        rest = waiting[position + 1 :] + waiting[:position]
        return rest[0] if rest else None
    if after is not None:
        # `after` has just declared (it left the list): the next one by name.
        by_name = sorted(rows, key=lambda row: row.client.name.casefold())
        ids = [row.client.member_id for row in by_name]
        if after in ids:
            later = [row for row in by_name[ids.index(after) + 1 :] if row.to_declare]
            return later[0] if later else waiting[0]
    return waiting[0]


CSV_COLUMNS = (
    "N° adhérent",
    "Raison sociale",
    "Campagne",
    "Déclaration",
    "Date limite",
    "Solde dû (€)",
    "Visites en retard",
    "Prochaine échéance de visite",
    "Demandes en attente",
)


def _cell(value: Any) -> Any:
    if value is None:
        return UNAVAILABLE
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    return value


def to_csv(rows: Iterable[Row]) -> bytes:
    """French Excel's CSV (portal_common.french_csv) with a decimal comma; « indisponible » where a service did
    not answer."""
    return to_french_csv(
        CSV_COLUMNS,
        (
            [
                row.client.member_number,
                row.client.name,
                _cell(row.year),
                _cell(row.declaration_label),
                _cell(row.deadline),
                _cell(row.balance_due),
                _cell(row.overdue_visits),
                row.first_due_on if "scheduling" not in row.missing else UNAVAILABLE,
                _cell(row.pending_requests),
            ]
            for row in rows
        ),
    )


def shown_amount(value: Decimal | None) -> str:
    return UNAVAILABLE if value is None else money_fr(value)


def shown_date(value: date | None) -> str:
    return UNAVAILABLE if value is None else date_fr(value)
