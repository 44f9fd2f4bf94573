"""The e-mail of the declaration campaign (plain text, French)."""

from __future__ import annotations

import hashlib
from typing import Any

from portal_common.formats import date_fr
from portal_common.mail_message import Mail

DECLARATION_PATH = "/salaries/declarations/{year}"


def opening_mail(public_url: str, campaign: Any, entry: Any, email: str) -> Mail:
    """The e-mail telling one declaration contact of a company that its declaration can be entered (`campaign` and
    `entry` are the campaign and member directory rows)."""
    link = public_url.rstrip("/") + DECLARATION_PATH.format(year=campaign.year)
    body = (
        "Bonjour,\n\n"
        f"La déclaration annuelle des effectifs {campaign.year} de {entry.name} (adhérent n° {entry.member_number}) "
        "est ouverte sur votre espace adhérent.\n\n"
        f"Saisie possible du {date_fr(campaign.opens_on)} au {date_fr(campaign.closes_on)}, "
        f"à confirmer au plus tard le {date_fr(campaign.deadline)}.\n"
        f"Déclarez les salariés présents au 01/01/{campaign.year} : la déclaration est préremplie à partir de "
        "votre liste des salariés.\n\n"
        f"Déclarer vos effectifs : {link}\n\n"
        "Ce message est envoyé automatiquement, merci de ne pas y répondre.\n"
    )
    return Mail(
        to=email,
        subject=f"Déclaration de vos effectifs {campaign.year} : la saisie est ouverte",
        body=body,
        # Per address, under the key column's length whatever the address.
        key=f"campaign-opened:{campaign.id}:{entry.member_id}:{hashlib.sha256(email.encode()).hexdigest()[:24]}",
    )
