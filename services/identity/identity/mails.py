"""The e-mails identity sends, in French; never a password, links built from the configured public URL."""
from __future__ import annotations

from datetime import datetime

from portal_common.formats import datetime_fr
from portal_common.mail import Mail

SIGNATURE = "\n\n-- \nEspace adhérent — message automatique, merci de ne pas y répondre."


def account_locked(email: str, *, public_url: str, until: datetime, key: str) -> Mail:
    return Mail(to=email, key=key, subject="Votre compte est temporairement verrouillé", body=(
        "Bonjour,\n\nPlusieurs tentatives de connexion avec un mot de passe erroné ont eu lieu sur votre compte. "
        f"Par sécurité, il est verrouillé jusqu'au {datetime_fr(until)}.\n\n"
        "S'il s'agit bien de vous, vous pouvez le débloquer dès maintenant en choisissant un nouveau mot de passe :\n"
        f"{public_url}/connexion/mot-de-passe-oublie\n\n"
        "Si vous n'êtes pas à l'origine de ces tentatives, nous vous conseillons de changer votre mot de passe."
        + SIGNATURE))


def password_changed(email: str, *, public_url: str, key: str) -> Mail:
    return Mail(to=email, key=key, subject="Votre mot de passe a été modifié", body=(
        "Bonjour,\n\nLe mot de passe de votre compte de l'espace adhérent vient d'être modifié.\n\n"
        "Si vous n'êtes pas à l'origine de ce changement, réinitialisez-le immédiatement :\n"
        f"{public_url}/connexion/mot-de-passe-oublie" + SIGNATURE))


def login_code(email: str, *, code: str, key: str) -> Mail:
    return Mail(to=email, key=key, subject=f"Votre code de connexion : {code}", body=(
        f"Bonjour,\n\nVoici votre code de connexion à l'espace adhérent : {code}\n\n"
        "Il est valable 10 minutes et ne peut servir qu'une fois. Si vous n'avez rien demandé, ignorez ce message : "
        "personne ne peut se connecter sans ce code." + SIGNATURE))


def reset_link(email: str, *, link: str, key: str) -> Mail:
    return Mail(to=email, key=key, subject="Choisir un nouveau mot de passe", body=(
        "Bonjour,\n\nUne demande de nouveau mot de passe a été faite pour un compte de l'espace adhérent. "
        f"Pour choisir un nouveau mot de passe, ouvrez ce lien (valable 30 minutes, une seule fois) :\n{link}\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe actuel reste valable." + SIGNATURE))


def account_activation(email: str, *, company: str, link: str, key: str) -> Mail:
    return Mail(to=email, key=key, subject="Activez votre compte de l'espace adhérent", body=(
        f"Bonjour,\n\nUn compte de l'espace adhérent a été demandé pour vous, avec un accès à {company}.\n\n"
        f"Pour l'activer, choisissez votre mot de passe en ouvrant ce lien (valable 72 heures, une seule fois) :\n"
        f"{link}\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : aucun compte ne sera ouvert." + SIGNATURE))


def company_invitation(email: str, *, company: str, link: str, key: str) -> Mail:
    return Mail(to=email, key=key, subject=f"Accès à {company} depuis votre compte", body=(
        f"Bonjour,\n\nUn accès à {company} a été demandé pour votre compte de l'espace adhérent.\n\n"
        f"Pour l'ajouter à votre compte, ouvrez ce lien (valable 72 heures, une seule fois) :\n{link}\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : votre compte reste inchangé." + SIGNATURE))


def new_administrator(email: str, *, company: str, admin_name: str, public_url: str, key: str) -> Mail:
    return Mail(to=email, key=key, subject=f"Nouvel administrateur pour {company}", body=(
        f"Bonjour,\n\n{admin_name} est désormais administrateur de {company} dans l'espace adhérent : "
        "il peut inviter des utilisateurs, changer leurs rôles et les retirer.\n\n"
        f"Vous pouvez voir les utilisateurs de l'entreprise ici :\n{public_url}/compte/utilisateurs\n\n"
        "Si ce changement vous surprend, prévenez l'administrateur de votre entreprise ou notre service."
        + SIGNATURE))


def mfa_changed(email: str, *, public_url: str, enabled: bool, key: str) -> Mail:
    what = "activée (ou son application remplacée)" if enabled else "désactivée"
    return Mail(to=email, key=key, subject="Double authentification modifiée sur votre compte", body=(
        f"Bonjour,\n\nLa double authentification de votre compte de l'espace adhérent vient d'être {what}.\n\n"
        "Si vous n'êtes pas à l'origine de ce changement, choisissez immédiatement un nouveau mot de passe :\n"
        f"{public_url}/connexion/mot-de-passe-oublie" + SIGNATURE))


def api_token_created(email: str, *, name: str, company: str, key: str) -> Mail:
    return Mail(to=email, key=key, subject="Un jeton d'accès API a été créé", body=(
        f"Bonjour,\n\nUn jeton d'accès API nommé « {name} » vient d'être créé pour {company} depuis votre compte.\n\n"
        "Si vous n'êtes pas à l'origine de cette création, révoquez-le depuis « Mon compte > Jetons d'accès API » "
        "et changez votre mot de passe." + SIGNATURE))


def email_change_link(email: str, *, link: str, key: str) -> Mail:
    return Mail(to=email, key=key, subject="Confirmez votre nouvelle adresse e-mail", body=(
        "Bonjour,\n\nVous avez demandé que cette adresse devienne celle de votre compte de l'espace adhérent. "
        "Pour confirmer, ouvrez ce lien, valable 1 heure et une seule fois :\n"
        f"{link}\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne changera." + SIGNATURE))


def email_changed(email: str, *, new_masked: str, public_url: str, key: str) -> Mail:
    return Mail(to=email, key=key, subject="L'adresse e-mail de votre compte a été modifiée", body=(
        "Bonjour,\n\nL'adresse e-mail de votre compte de l'espace adhérent vient d'être remplacée par "
        f"{new_masked}. Cette adresse-ci ne permet plus de vous connecter ; vos sessions ouvertes ont été "
        "terminées.\n\n"
        "Si vous n'êtes pas à l'origine de ce changement, contactez sans attendre votre service de santé au "
        f"travail ou demandez un nouveau mot de passe :\n{public_url}/connexion/mot-de-passe-oublie" + SIGNATURE))
