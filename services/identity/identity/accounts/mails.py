"""E-mails about the account itself, in French; never a password, links built from the configured public URL."""

from __future__ import annotations

from portal_common.mail_message import SIGNATURE, Mail


def password_changed(email: str, *, public_url: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject="Votre mot de passe a été modifié",
        body=(
            "Bonjour,\n\nLe mot de passe de votre compte de l'espace adhérent vient d'être modifié.\n\n"
            "Si vous n'êtes pas à l'origine de ce changement, réinitialisez-le immédiatement :\n"
            f"{public_url}/connexion/mot-de-passe-oublie" + SIGNATURE
        ),
    )
