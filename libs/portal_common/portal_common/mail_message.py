"""An e-mail to send, as the pure rules write it (the mail outbox in `mail.py` stores and sends it)."""

from __future__ import annotations

from dataclasses import dataclass

# The end of every e-mail the portal sends to a person.
SIGNATURE = "\n\n-- \nEspace adhérent — message automatique, merci de ne pas y répondre."
# Under each e-mail a user may turn off (identity's « Préférences de courriel »).
CHOOSE_MAILS = "Vous pouvez choisir les e-mails que vous recevez dans « Mon compte », « Préférences de courriel »."


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    # Same key, same mail: a retried use case never sends twice.
    key: str | None = None
