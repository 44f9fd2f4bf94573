"""Demo member companies: idempotent, registered through the same use case as staff do.

Each demo company gets a known n° télédéclarant, so that the first-account flow ("code adhérent" + "n°
télédéclarant") can be tried: DEMO + the member number, e.g. 1000001 / DEMO1000001 (also in the README).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from portal_common.service import Portal

from .health_team.use_cases import assign_team, save_centre
from .models import Centre, HealthTeam, Member
from .record.rules import SYSTEM
from .registration.rules import Registration
from .registration.use_cases import register_member


def demo_declarant_code(member_number: str) -> str:
    return f"DEMO{member_number}"


DEMO_CENTRE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "portal-demo:centre:mulhouse"))
DEMO_CENTRE = {
    "name": "Centre de santé au travail de Mulhouse",
    "line1": "5 avenue Kennedy",
    "line2": None,
    "postal_code": "68100",
    "city": "Mulhouse",
    "phone": "03 89 45 00 00",
    "email": "mulhouse@spsti-demo.fr",
}
DEMO_TEAM = {
    "centre_id": DEMO_CENTRE_ID,
    "doctor": "Dr Anne Weber",
    "secretary": "Julie Roth",
    "secretary_phone": "03 89 45 00 01",
    "secretary_email": "secretariat.mulhouse@spsti-demo.fr",
    "preventer": "Marc Klein",
    "preventer_email": "prevention@spsti-demo.fr",
    "nurse": "Luc Meyer",
}


def _health_teams(portal: Portal, member_ids: list[str]) -> None:
    """One demo centre and the same team for every demo company (shown on the record, sent to scheduling)."""
    with portal.db.session_factory() as db:
        has_centre = db.get(Centre, DEMO_CENTRE_ID) is not None
    if not has_centre:
        save_centre(portal, None, DEMO_CENTRE, new_id=DEMO_CENTRE_ID)
    for member_id in member_ids:
        with portal.db.session_factory() as db:
            if db.get(HealthTeam, member_id) is not None:
                continue
        assign_team(portal, member_id, DEMO_TEAM, SYSTEM)


def load(portal: Portal, dataset: dict[str, Any]) -> None:
    _load_members(portal, dataset)
    _health_teams(portal, [member["id"] for member in dataset.get("members", [])])


def _load_members(portal: Portal, dataset: dict[str, Any]) -> None:
    for member in dataset.get("members", []):
        with portal.db.session_factory() as db:
            if db.get(Member, member["id"]) is not None:
                continue
        register_member(
            portal,
            Registration(
                name=member["name"],
                siret=member["siret"],
                naf_code=member.get("naf_code"),
                address_line1=member["address_line1"],
                address_line2=member.get("address_line2"),
                postal_code=member["postal_code"],
                city=member["city"],
                email=member.get("email"),
                phone=member.get("phone"),
                billing_email=member.get("billing_email"),
                adhesion_date=date.fromisoformat(member["adhesion_date"]),
            ),
            member_id=member["id"],
            member_number=member["member_number"],
            declarant_code=member.get("declarant_code") or demo_declarant_code(member["member_number"]),
        )
