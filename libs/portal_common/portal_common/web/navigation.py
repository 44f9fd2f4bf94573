"""The portal's navigation, one list for every service so the layout is the same everywhere.

Each entry carries the access rule of the page it links to, written with the same helpers and role groups
(`tests/contract/test_access_rules.py` compares them), so nobody is offered a page that answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..access import AUTHENTICATED, Rule, member, member_or_staff, staff
from ..passport import Principal
from ..roles import (
    EMPLOYEE_KEEPERS,
    EMPLOYEE_READERS,
    EVERY_MEMBER_ROLE,
    EVERY_STAFF_ROLE,
    INVOICE_READERS,
    MemberRole,
)


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    rule: Rule
    # Offered only to a user who reaches several companies (an accounting firm, a group): the page admits anyone.
    several_companies: bool = False

    def offered_to(self, principal: Principal) -> bool:
        if self.several_companies and principal.member_count < 2:
            return False
        return self.rule.check(principal) is None


STAFF = staff(*EVERY_STAFF_ROLE)

NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Accueil", "/accueil", member(*EVERY_MEMBER_ROLE)),
    NavItem("Accueil", "/gestion/accueil", STAFF),
    NavItem("Portefeuille clients", "/portefeuille", AUTHENTICATED, several_companies=True),
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


# « Mon compte »: identity's pages about the signed-in user and, for a company's administrator, its users.
ACCOUNT_MENU: tuple[NavItem, ...] = (
    NavItem("Mon profil", "/compte", AUTHENTICATED),
    NavItem("Utilisateurs et rôles", "/compte/utilisateurs", member(MemberRole.ADMIN)),
    NavItem("Double authentification", "/compte/double-authentification", AUTHENTICATED),
    NavItem("Sessions ouvertes", "/compte/sessions", AUTHENTICATED),
    NavItem("Préférences de courriel", "/compte/preferences-courriel", AUTHENTICATED),
    NavItem("Jetons d'API", "/compte/jetons-api", member(MemberRole.ADMIN)),
    NavItem(
        "Journal de sécurité",
        "/compte/journal-securite",
        member_or_staff(member_roles=(MemberRole.ADMIN,), staff_roles=EVERY_STAFF_ROLE),
    ),
)

# While a declaration campaign is open, the main menu offers « Déclarer mes effectifs » to the users who declare.
# The entry itself (its year and link) comes from workforce through the gateway (`campaign_include`).
CAMPAIGN_DECLARERS = member(*EMPLOYEE_KEEPERS)


def navigation_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in NAVIGATION if item.offered_to(principal)]


def account_menu_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [item for item in ACCOUNT_MENU if item.offered_to(principal)]


def offers_campaign_entry(principal: Principal | None) -> bool:
    return principal is not None and CAMPAIGN_DECLARERS.check(principal) is None
