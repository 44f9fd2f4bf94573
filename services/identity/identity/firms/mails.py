"""E-mails of an accounting firm's collaborators, in French."""

from __future__ import annotations

from portal_common.mail_message import CHOOSE_MAILS, Mail

from ..accounts.mails import SIGNATURE


def access_changed(email: str, *, firm: str, clients: list[str], public_url: str, key: str) -> Mail:
    listed = "\n".join(f"- {name}" for name in clients) or "- aucun client pour le moment"
    return Mail(
        to=email,
        key=key,
        subject=f"Vos accès aux clients de {firm} ont changé",
        body=(
            f"Bonjour,\n\nL'administrateur de {firm} a modifié les clients et les rôles qui vous sont confiés. "
            f"Vous avez désormais accès à :\n{listed}\n\n"
            f"Votre portefeuille : {public_url}/portefeuille\n\n" + CHOOSE_MAILS + SIGNATURE
        ),
    )
