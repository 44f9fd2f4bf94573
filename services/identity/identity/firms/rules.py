"""An accounting firm's collaborators, free of Flask and SQLAlchemy: which clients and roles the firm's
administrator may give each of them (URSSAF's delegated users: a collaborator never reaches more than the firm).

The firm's clients are the companies its administrators hold a delegation for; a collaborator holds a delegation
of his own on each client given to him, so the session check, the company switcher and the portfolio show him
those clients only, and taking one back takes effect at his next request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..team.rules import DELEGATE_ROLES, parse_roles


class FirmRole(StrEnum):
    """A user's place in the firm (the stored `firm_user.role`)."""

    ADMIN = "admin"
    COLLABORATOR = "collaborator"


NO_CLIENT = "Cochez au moins un client."
NO_ROLE = "Cochez au moins un rôle pour ce client."
TOO_MANY_ROLES = "Le cabinet n'a pas ce rôle chez ce client : il ne peut pas le confier."


Grants = Mapping[str, frozenset[str]]  # member id -> roles on that client


def parse_grants(clients: Iterable[str], roles_of: Mapping[str, Iterable[str]], firm_clients: Iterable[str]) -> Grants:
    """The clients ticked in the form (`clients`) with their ticked roles (`roles_of[member_id]`); a client the firm
    does not have, or a forged role, is dropped here and never stored."""
    known = set(firm_clients)
    return {member_id: parse_roles(roles_of.get(member_id, ())) for member_id in clients if member_id in known}


def grant_errors(grants: Grants, firm_roles: Mapping[str, frozenset[str]], *, need_one: bool) -> dict[str, str]:
    """A French message per field: each client given needs a role the firm itself holds there (never administrator);
    an invitation needs at least one client."""
    errors = {}
    if need_one and not grants:
        errors["clients"] = NO_CLIENT
    for member_id, roles in grants.items():
        if not roles:
            errors[f"roles-{member_id}"] = NO_ROLE
        elif not roles <= (firm_roles.get(member_id, frozenset()) & DELEGATE_ROLES):
            errors[f"roles-{member_id}"] = TOO_MANY_ROLES
    return errors


@dataclass(frozen=True)
class GrantChanges:
    added: dict[str, frozenset[str]]
    changed: dict[str, frozenset[str]]
    removed: frozenset[str]

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def grant_changes(before: Grants, after: Grants) -> GrantChanges:
    """What saving the collaborator's form does to his delegations."""
    return GrantChanges(
        added={m: r for m, r in after.items() if m not in before},
        changed={m: r for m, r in after.items() if m in before and before[m] != r},
        removed=frozenset(m for m in before if m not in after),
    )
