"""An e-mail to send, as the pure rules write it (the mail outbox in `mail.py` stores and sends it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    # Same key, same mail: a retried use case never sends twice.
    key: str | None = None
