"""The portal's navigation, one list for every service so the layout is the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from ..passport import Principal


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    audience: str  # "member" (needs a current company) or "staff"


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Mon entreprise", "/adherent", "member"),
    NavItem("Mes salariés", "/salaries", "member"),
    NavItem("Mes rendez-vous", "/rendez-vous", "member"),
    NavItem("Mes factures", "/factures", "member"),
    NavItem("Mes documents", "/adherent/documents", "member"),
    NavItem("Gestion des adhérents", "/gestion/adherents", "staff"),
    NavItem("Déclarations des effectifs", "/gestion/salaries/campagnes", "staff"),
    NavItem("Gestion des rendez-vous", "/gestion/rendez-vous", "staff"),
    NavItem("Journal de sécurité", "/compte/journal-securite", "staff"),
    NavItem("Facturation de la campagne", "/gestion/factures/campagne", "staff"),
    NavItem("Prélèvements SEPA", "/gestion/factures/prelevements", "staff"),
)


def navigation_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    items = []
    for item in NAVIGATION:
        if item.audience == "member" and principal.member_id or item.audience == "staff" and principal.is_staff:
            items.append(item)
    return items
