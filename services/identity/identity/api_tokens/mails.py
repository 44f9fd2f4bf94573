"""The e-mail telling a company administrator an API token was created, in French."""

from __future__ import annotations

from portal_common.mail_message import Mail

from ..accounts.mails import SIGNATURE


def api_token_created(email: str, *, name: str, company: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject="Un jeton d'accès API a été créé",
        body=(
            f"Bonjour,\n\nUn jeton d'accès API nommé « {name} » vient d'être créé pour {company} depuis votre compte.\n\n"
            "Si vous n'êtes pas à l'origine de cette création, révoquez-le depuis « Mon compte > Jetons d'accès API » "
            "et changez votre mot de passe." + SIGNATURE
        ),
    )
