"""The portal's navigation, one list for every service so the layout is the same everywhere.

Each entry carries the access rule of the page it links to, written with the same helpers and role groups
(`tests/contract/test_access_rules.py` compares them), so nobody is offered a page that answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..access import Rule, member, staff
from ..passport import Principal
from ..roles import EMPLOYEE_READERS, EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE, INVOICE_READERS


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    rule: Rule

    def offered_to(self, principal: Principal) -> bool:
        return self.rule.check(principal) is None


STAFF = staff(*EVERY_STAFF_ROLE)

NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Mon entreprise", "/adherent", member(*EVERY_MEMBER_ROLE)),
    NavItem("Mes salariés", "/salaries", member(*EMPLOYEE_READERS)),
    NavItem("Mes rendez-vous", "/rendez-vous", member(*EMPLOYEE_READERS)),
    NavItem("Mes factures", "/factures", member(*INVOICE_READERS)),
    NavItem("Mes documents", "/adherent/documents", member(*EVERY_MEMBER_ROLE)),
    NavItem("Gestion des adhérents", "/gestion/adherents", STAFF),
    NavItem("Déclarations des effectifs", "/gestion/salaries/campagnes", STAFF),
    NavItem("Gestion des rendez-vous", "/gestion/rendez-vous", STAFF),
    NavItem("Journal de sécurité", "/compte/journal-securite", STAFF),
    NavItem("Facturation de la campagne", "/gestion/factures/campagne", STAFF),
    NavItem("Prélèvements SEPA", "/gestion/factures/prelevements", STAFF),
)


def navigation_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in NAVIGATION if item.offered_to(principal)]
