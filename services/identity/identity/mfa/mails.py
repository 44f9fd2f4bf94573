"""The e-mail telling a user his second factor changed, in French."""

from __future__ import annotations

from portal_common.mail_message import Mail

from ..accounts.mails import SIGNATURE


def mfa_changed(email: str, *, public_url: str, enabled: bool, key: str) -> Mail:
    what = "activée (ou son application remplacée)" if enabled else "désactivée"
    return Mail(
        to=email,
        key=key,
        subject="Double authentification modifiée sur votre compte",
        body=(
            f"Bonjour,\n\nLa double authentification de votre compte de l'espace adhérent vient d'être {what}.\n\n"
            "Si vous n'êtes pas à l'origine de ce changement, choisissez immédiatement un nouveau mot de passe :\n"
            f"{public_url}/connexion/mot-de-passe-oublie" + SIGNATURE
        ),
    )
