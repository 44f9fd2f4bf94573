"""One list of the companies a user manages from the current one: the establishments sharing its SIREN and the
companies identity links the user to (an accounting firm's clients); no Flask, no SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Relation(StrEnum):
    """How a listed company relates to the user; `member` and `delegate` are identity's kinds of link."""

    CURRENT = "current"
    SAME_SIREN = "same_siren"
    MEMBER = "member"
    DELEGATE = "delegate"


RELATION_LABELS = {
    Relation.CURRENT: "Entreprise en cours",
    Relation.SAME_SIREN: "Établissement de la même entreprise (même SIREN)",
    Relation.MEMBER: "Entreprise dont vous êtes utilisateur",
    Relation.DELEGATE: "Entreprise cliente (tiers déclarant)",
}


@dataclass
class Row:
    member_id: str
    member_number: str
    name: str
    status: str
    relations: list[str]
    can_switch: bool


def establishment_rows(
    current: Any, same_siren: Iterable[Any], linked: Iterable[Any], links: list[dict[str, Any]] | None
) -> list[Row]:
    """`current`, `same_siren` and `linked` are member records; `links` identity's links of the user (None when
    unknown). A company appears once, with every relation; switching needs a link."""
    kinds = {link["member_id"]: link.get("kind") or Relation.MEMBER for link in links or []}
    rows: dict[str, Row] = {}

    def add(record: Any, relation: str) -> None:
        row = rows.get(record.id)
        if row is None:
            row = rows[record.id] = Row(
                record.id,
                record.member_number,
                record.name,
                record.status,
                [],
                record.id != current.id and record.id in kinds,
            )
        if relation not in row.relations:
            row.relations.append(relation)

    add(current, Relation.CURRENT)
    for record in same_siren:
        add(record, Relation.SAME_SIREN)
    for record in linked:
        add(record, Relation.DELEGATE if kinds.get(record.id) == Relation.DELEGATE else Relation.MEMBER)
    first = rows.pop(current.id)
    return [first, *sorted(rows.values(), key=lambda r: r.member_number)]
