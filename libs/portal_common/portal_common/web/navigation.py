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
    NavItem("Gestion des adhérents", "/gestion/adherents", "staff"),
)


def navigation_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    items = []
    for item in NAVIGATION:
        if item.audience == "member" and principal.member_id:
            items.append(item)
        elif item.audience == "staff" and principal.is_staff:
            items.append(item)
    return items
