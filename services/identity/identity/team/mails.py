"""E-mails of activations, invitations and new administrators, in French; never a password."""

from __future__ import annotations

from portal_common.mail_message import CHOOSE_MAILS, Mail

from ..accounts.mails import SIGNATURE


def account_activation(email: str, *, company: str, link: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject="Activez votre compte de l'espace adhérent",
        body=(
            f"Bonjour,\n\nUn compte de l'espace adhérent a été demandé pour vous, avec un accès à {company}.\n\n"
            f"Pour l'activer, choisissez votre mot de passe en ouvrant ce lien (valable 72 heures, une seule fois) :\n"
            f"{link}\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : aucun compte ne sera ouvert." + SIGNATURE
        ),
    )


def company_invitation(email: str, *, company: str, link: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject=f"Accès à {company} depuis votre compte",
        body=(
            f"Bonjour,\n\nUn accès à {company} a été demandé pour votre compte de l'espace adhérent.\n\n"
            f"Pour l'ajouter à votre compte, ouvrez ce lien (valable 72 heures, une seule fois) :\n{link}\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : votre compte reste inchangé." + SIGNATURE
        ),
    )


def new_administrator(email: str, *, company: str, admin_name: str, public_url: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject=f"Nouvel administrateur pour {company}",
        body=(
            f"Bonjour,\n\n{admin_name} est désormais administrateur de {company} dans l'espace adhérent : "
            "il peut inviter des utilisateurs, changer leurs rôles et les retirer.\n\n"
            f"Vous pouvez voir les utilisateurs de l'entreprise ici :\n{public_url}/compte/utilisateurs\n\n"
            "Si ce changement vous surprend, prévenez l'administrateur de votre entreprise ou notre service."
            + SIGNATURE
        ),
    )


def collaborator_invitation(
    email: str, *, firm: str, clients: list[str], link: str, key: str, new_account: bool
) -> Mail:
    listed = "\n".join(f"- {name}" for name in clients)
    action = "choisissez votre mot de passe en ouvrant" if new_account else "ouvrez"
    return Mail(
        to=email,
        key=key,
        subject=f"{firm} vous invite dans l'espace adhérent",
        body=(
            f"Bonjour,\n\n{firm} vous invite à travailler pour ses clients dans l'espace adhérent :\n{listed}\n\n"
            f"Pour accepter, {action} ce lien (valable 72 heures, une seule fois) :\n{link}\n\n"
            "Si vous n'attendiez pas cette invitation, ignorez ce message." + SIGNATURE
        ),
    )


def roles_changed(email: str, *, company: str, roles: list[str], public_url: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject=f"Vos rôles pour {company} ont changé",
        body=(
            f"Bonjour,\n\nVos rôles pour {company} dans l'espace adhérent sont désormais : {', '.join(roles)}.\n\n"
            f"Votre compte : {public_url}/compte\n\n" + CHOOSE_MAILS + SIGNATURE
        ),
    )


def firm_attached(email: str, *, company: str, firm: str, firm_email: str, public_url: str, key: str) -> Mail:
    return Mail(
        to=email,
        key=key,
        subject=f"Un cabinet comptable agit désormais pour {company}",
        body=(
            f"Bonjour,\n\n{firm} ({firm_email}) s'est rattaché à {company} dans l'espace adhérent avec le code "
            "adhérent et le n° télédéclarant de l'entreprise : il peut déclarer vos effectifs et suivre vos "
            "factures.\n\n"
            f"Si vous ne l'avez pas mandaté, révoquez sa délégation ici et prévenez notre service :\n"
            f"{public_url}/compte/utilisateurs" + SIGNATURE
        ),
    )
