"""The news identity e-mails on other services' events, in French."""

from __future__ import annotations

from datetime import date

from portal_common.formats import date_fr
from portal_common.mail_message import CHOOSE_MAILS, Mail

from ..accounts.mails import SIGNATURE


def campaign_opened(email: str, *, company: str, year: int, deadline: date, public_url: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject=f"Déclaration des effectifs {year} : la campagne est ouverte",
        body=(
            f"Bonjour,\n\nLa campagne de déclaration des effectifs {year} est ouverte. Vous administrez {company} "
            f"dans l'espace adhérent : la déclaration est à faire avant le {date_fr(deadline)}, par vous ou par "
            "la personne qui déclare pour l'entreprise (elle reçoit aussi ce message).\n\n"
            f"Déclarer : {public_url}/salaries/declarations/{year}\n\n" + CHOOSE_MAILS + SIGNATURE
        ),
    )
