"""Demo member companies: idempotent, registered through the same use case as staff do."""
from __future__ import annotations

from datetime import date
from typing import Any

from portal_common.service import Portal

from . import services
from .domain import Registration
from .models import Member


def load(portal: Portal, dataset: dict[str, Any]) -> None:
    for member in dataset.get("members", []):
        with portal.db.session_factory() as db:
            if db.get(Member, member["id"]) is not None:
                continue
        services.register_member(portal, Registration(
            name=member["name"], siret=member["siret"], naf_code=member.get("naf_code"),
            address_line1=member["address_line1"], address_line2=member.get("address_line2"),
            postal_code=member["postal_code"], city=member["city"], email=member.get("email"),
            phone=member.get("phone"), billing_email=member.get("billing_email"),
            adhesion_date=date.fromisoformat(member["adhesion_date"]),
        ), member_id=member["id"], member_number=member["member_number"])
