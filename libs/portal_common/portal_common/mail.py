"""E-mails as a side effect of a business transaction: queued in the same commit, sent by the relay.

A mail is written to the service's `mail_outbox` table inside the unit of work (so a rolled-back
change never sends anything, docs/security.md MSG-07), then the service's relay process delivers it over
SMTP with retries. An idempotency key makes re-queuing the same mail a no-op.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Sequence
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .clock import utcnow
from .db import Database, UTCDateTime, insert_rows
from .mail_message import Mail
from .messaging.outbox import wake_relay

log = logging.getLogger("portal.mail")

MAX_ATTEMPTS = 8


def mail_outbox_table(metadata: MetaData) -> Table:
    if "mail_outbox" in metadata.tables:
        return metadata.tables["mail_outbox"]
    return Table(
        "mail_outbox",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("key", String(200), nullable=False, unique=True),
        Column("recipient", String(254), nullable=False),
        Column("subject", String(300), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("sent_at", UTCDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", UTCDateTime(), nullable=False),
        Column("last_error", String(300), nullable=True),
        Index(
            "ix_mail_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
    )


def queue_mail(session: Session, table: Table, mail: Mail) -> bool:
    """Queue a mail in the caller's transaction; False when the same key was already queued."""
    key = mail.key or str(uuid.uuid4())
    if session.execute(select(table.c.id).where(table.c.key == key)).first():
        return False
    now = utcnow()
    try:
        with session.begin_nested():
            session.execute(
                table.insert().values(
                    id=str(uuid.uuid4()),
                    key=key,
                    recipient=mail.to,
                    subject=mail.subject,
                    body=mail.body,
                    created_at=now,
                    next_attempt_at=now,
                    attempts=0,
                )
            )
    except IntegrityError:  # a concurrent use case queued it first
        return False
    wake_relay(session)  # the relay sends the service's mail too
    return True


def queue_mails(session: Session, table: Table, mails: Sequence[Mail]) -> int:
    """Queue many mails in the caller's transaction in one statement (a batch of invoices in January);
    a key already queued is skipped. Returns how many were queued."""
    if not mails:
        return 0
    now = utcnow()
    rows = {
        mail.key or str(uuid.uuid4()): {
            "id": str(uuid.uuid4()),
            "key": mail.key or "",
            "recipient": mail.to,
            "subject": mail.subject,
            "body": mail.body,
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        }
        for mail in mails
    }
    for key, row in rows.items():
        row["key"] = key
    queued = insert_rows(session, table, list(rows.values()), skip_conflicts_on="key")
    if queued:
        wake_relay(session)
    return queued


def build_message(sender: str, recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="portail.local")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


class MailSender:
    """Delivers queued mails; run by the relay process of each service that sends mail."""

    def __init__(self, db: Database, table: Table, *, host: str, port: int, sender: str, timeout: float = 10.0):
        self.db = db
        self.table = table
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout
        self.sent_count = 0

    def send_batch(self, limit: int = 50) -> int:
        t = self.table
        sent = 0
        with self.db.session_factory() as session:
            rows = session.execute(
                select(t.c.id, t.c.recipient, t.c.subject, t.c.body, t.c.attempts)
                .where(t.c.sent_at.is_(None), t.c.next_attempt_at <= utcnow(), t.c.attempts < MAX_ATTEMPTS)
                .order_by(t.c.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            try:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            except OSError as exc:
                self._postpone(session, rows, f"SMTP unreachable: {type(exc).__name__}")
                session.commit()
                return 0
            with smtp:
                for row in rows:
                    try:
                        smtp.send_message(build_message(self.sender, row.recipient, row.subject, row.body))
                    except (smtplib.SMTPException, OSError) as exc:
                        self._postpone(session, [row], f"{type(exc).__name__}")
                        continue
                    session.execute(update(t).where(t.c.id == row.id).values(sent_at=utcnow(), last_error=None))
                    sent += 1
            session.commit()
        self.sent_count += sent
        return sent

    def _postpone(self, session: Session, rows: Sequence[Any], reason: str) -> None:
        log.warning("mail delivery postponed", extra={"reason": reason})
        for row in rows:
            delay = timedelta(seconds=min(2**row.attempts * 5, 3600))
            session.execute(
                update(self.table)
                .where(self.table.c.id == row.id)
                .values(attempts=row.attempts + 1, next_attempt_at=utcnow() + delay, last_error=reason[:300])
            )
