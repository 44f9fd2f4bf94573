"""The e-mail carrying a sign-in code, in French."""

from __future__ import annotations

from portal_common.mail_message import Mail

from ..accounts.mails import SIGNATURE


def login_code(email: str, *, code: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject=f"Votre code de connexion : {code}",
        body=(
            f"Bonjour,\n\nVoici votre code de connexion à l'espace adhérent : {code}\n\n"
            "Il est valable 10 minutes et ne peut servir qu'une fois. Si vous n'avez rien demandé, ignorez ce message : "
            "personne ne peut se connecter sans ce code." + SIGNATURE
        ),
    )
