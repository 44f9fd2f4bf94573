"""Read side of the centres and of a company's health team, as shown to the member and to staff."""

from __future__ import annotations

from sqlalchemy import select

from portal_common.service import portal

from ..models import Centre, HealthTeam
from .rules import centre_address


def centres() -> list[Centre]:
    return list(portal().db.session.scalars(select(Centre).order_by(Centre.name)))


def get_centre(centre_id: str) -> Centre | None:
    return portal().db.session.get(Centre, centre_id)


def centre_as_dict(centre: Centre) -> dict:
    return {
        "id": centre.id,
        "name": centre.name,
        "address": {
            "line1": centre.line1,
            "line2": centre.line2,
            "postal_code": centre.postal_code,
            "city": centre.city,
        },
        "address_line": centre_address(
            {"line1": centre.line1, "line2": centre.line2, "postal_code": centre.postal_code, "city": centre.city}
        ),
        "phone": centre.phone,
        "email": centre.email,
    }


def health_team(member_id: str) -> dict:
    """The centre, the people following the company and the service's mailboxes, as shown to the member."""
    session = portal().db.session
    team = session.get(HealthTeam, member_id)
    centre = session.get(Centre, team.centre_id) if team is not None and team.centre_id else None
    people = {
        name: getattr(team, name) if team is not None else None
        for name in (
            "doctor",
            "secretary",
            "secretary_phone",
            "secretary_email",
            "preventer",
            "preventer_email",
            "nurse",
        )
    }
    return {
        "centre": centre_as_dict(centre) if centre is not None else None,
        **people,
        "mailboxes": [{"label": label, "email": email} for label, email in portal().settings.service_mailboxes],
    }
