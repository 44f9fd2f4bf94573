"""The e-mail carrying a password-reset link, in French."""

from __future__ import annotations

from portal_common.mail_message import Mail

from ..accounts.mails import SIGNATURE


def reset_link(email: str, *, link: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject="Choisir un nouveau mot de passe",
        body=(
            "Bonjour,\n\nUne demande de nouveau mot de passe a été faite pour un compte de l'espace adhérent. "
            f"Pour choisir un nouveau mot de passe, ouvrez ce lien (valable 30 minutes, une seule fois) :\n{link}\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe actuel reste valable." + SIGNATURE
        ),
    )
