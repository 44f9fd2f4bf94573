"""Which e-mails a user chooses to receive, free of Flask and SQLAlchemy. Only news are optional: security e-mails
(sign-in codes, password and e-mail changes, a new administrator, an accounting firm attached to the company) and
what a user asked for (invitation links, receipts) always go."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class MailTopic(StrEnum):
    """A kind of optional e-mail (the values stored in `user_account.mail_opt_outs`, comma-separated)."""

    CHANGE_REQUESTS = "change_requests"
    ACCESS = "access"
    CAMPAIGN = "campaign"


TOPIC_LABELS = {
    MailTopic.CHANGE_REQUESTS: "La suite donnée à mes demandes de modification (validée ou refusée, avec le motif)",
    MailTopic.ACCESS: "Les changements de mes rôles et des entreprises auxquelles j'ai accès",
    MailTopic.CAMPAIGN: "L'ouverture de la campagne de déclaration des effectifs (entreprises que j'administre)",
}

MANDATORY = (
    "Codes de connexion, changement de mot de passe ou d'adresse e-mail",
    "Nouvel administrateur de l'entreprise, cabinet comptable rattaché à l'entreprise",
    "Liens d'activation et d'invitation, factures et convocations",
)


def parse_opt_outs(stored: str | None) -> frozenset[MailTopic]:
    return frozenset(MailTopic(v) for v in (stored or "").split(",") if v in set(MailTopic))


def stored_opt_outs(wanted: Iterable[str]) -> str:
    """The topics NOT ticked on the page, from the ticked ones (a forged value is ignored)."""
    kept = {v for v in wanted if v in set(MailTopic)}
    return ",".join(sorted(t.value for t in MailTopic if t.value not in kept))


def accepts(stored: str | None, topic: MailTopic) -> bool:
    return topic not in parse_opt_outs(stored)
