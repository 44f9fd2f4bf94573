"""E-mails of the e-mail-address change, in French: the confirmation link and the notice to the old address."""

from __future__ import annotations

from portal_common.mail_message import Mail

from ..accounts.mails import SIGNATURE


def email_change_link(email: str, *, link: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject="Confirmez votre nouvelle adresse e-mail",
        body=(
            "Bonjour,\n\nVous avez demandé que cette adresse devienne celle de votre compte de l'espace adhérent. "
            "Pour confirmer, ouvrez ce lien, valable 1 heure et une seule fois :\n"
            f"{link}\n\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne changera." + SIGNATURE
        ),
    )


def email_changed(email: str, *, new_masked: str, public_url: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject="L'adresse e-mail de votre compte a été modifiée",
        body=(
            "Bonjour,\n\nL'adresse e-mail de votre compte de l'espace adhérent vient d'être remplacée par "
            f"{new_masked}. Cette adresse-ci ne permet plus de vous connecter ; vos sessions ouvertes ont été "
            "terminées.\n\n"
            "Si vous n'êtes pas à l'origine de ce changement, contactez sans attendre votre service de santé au "
            f"travail ou demandez un nouveau mot de passe :\n{public_url}/connexion/mot-de-passe-oublie" + SIGNATURE
        ),
    )
