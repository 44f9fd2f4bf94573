"""E-mails of change requests, in French."""

from __future__ import annotations

from portal_common.mail_message import CHOOSE_MAILS, SIGNATURE, Mail


def change_decided(
    email: str, *, company: str, what: str, approved: bool, reason: str | None, public_url: str, key: str
) -> Mail:
    outcome = "validée" if approved else "refusée"
    because = f"\n\nMotif : {reason}" if reason else ""
    return Mail(
        to=email,
        key=key,
        subject=f"Votre demande de modification a été {outcome} ({company})",
        body=(
            f"Bonjour,\n\nVotre demande « {what} » pour {company} a été {outcome} par le service.{because}\n\n"
            f"Vos demandes et la fiche de l'entreprise : {public_url}/adherent\n\n" + CHOOSE_MAILS + SIGNATURE
        ),
    )
