"""The portal's navigation, one list for every service so the layout is the same everywhere.

Each entry names the roles that may open its page, the same roles as the page's access rule
(`tests/contract/test_access_rules.py` compares them), so nobody is offered a page that answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..passport import Principal
from ..roles import EMPLOYEE_READERS, EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE, INVOICE_READERS, MemberRole


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    member_roles: tuple[str, ...] = ()  # on the current company; admin holds every member role
    staff_roles: tuple[str, ...] = ()

    def offered_to(self, principal: Principal) -> bool:
        if self.member_roles and principal.has_member_role(*self.member_roles):
            return True
        return bool(principal.staff_roles & set(self.staff_roles))


def _staff(label: str, path: str) -> NavItem:
    return NavItem(label, path, staff_roles=EVERY_STAFF_ROLE)


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Mon entreprise", "/adherent", member_roles=EVERY_MEMBER_ROLE),
    NavItem("Mes salariés", "/salaries", member_roles=EMPLOYEE_READERS),
    NavItem("Mes rendez-vous", "/rendez-vous", member_roles=EMPLOYEE_READERS),
    NavItem("Mes factures", "/factures", member_roles=(MemberRole.ADMIN, *INVOICE_READERS)),
    NavItem("Mes documents", "/adherent/documents", member_roles=EVERY_MEMBER_ROLE),
    _staff("Gestion des adhérents", "/gestion/adherents"),
    _staff("Déclarations des effectifs", "/gestion/salaries/campagnes"),
    _staff("Gestion des rendez-vous", "/gestion/rendez-vous"),
    _staff("Journal de sécurité", "/compte/journal-securite"),
    _staff("Facturation de la campagne", "/gestion/factures/campagne"),
    _staff("Prélèvements SEPA", "/gestion/factures/prelevements"),
)


def navigation_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in NAVIGATION if item.offered_to(principal)]
