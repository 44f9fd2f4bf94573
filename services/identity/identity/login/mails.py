"""The e-mail telling an account's owner it is locked, in French."""

from __future__ import annotations

from datetime import datetime

from portal_common.formats import datetime_fr
from portal_common.mail_message import Mail

from ..accounts.mails import SIGNATURE


def account_locked(email: str, *, public_url: str, until: datetime, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject="Votre compte est temporairement verrouillé",
        body=(
            "Bonjour,\n\nPlusieurs tentatives de connexion avec un mot de passe erroné ont eu lieu sur votre compte. "
            f"Par sécurité, il est verrouillé jusqu'au {datetime_fr(until)}.\n\n"
            "S'il s'agit bien de vous, vous pouvez le débloquer dès maintenant en choisissant un nouveau mot de passe :\n"
            f"{public_url}/connexion/mot-de-passe-oublie\n\n"
            "Si vous n'êtes pas à l'origine de ces tentatives, nous vous conseillons de changer votre mot de passe."
            + SIGNATURE
        ),
    )
