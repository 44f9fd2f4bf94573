"""E-mails leave only when their transaction commits, once, through a real SMTP server."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData

from portal_common.db import Database, UnitOfWork
from portal_common.mail import Mail, MailSender, mail_outbox_table
from portal_common.messaging.outbox import Outbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def parts(portal_env):
    db = Database(portal_env.database_url("mail"))
    metadata = MetaData()
    outbox = Outbox("identity", metadata)
    table = mail_outbox_table(metadata)
    metadata.create_all(db.engine)
    sender = MailSender(
        db, table, host="127.0.0.1", port=portal_env.smtp.port, sender="Portail <noreply@portail.local>"
    )
    yield db, outbox, table, sender
    db.dispose()


def test_a_mail_queued_in_a_committed_transaction_is_delivered_once(parts, portal_env):
    db, outbox, table, sender = parts
    with UnitOfWork(db, outbox, table) as tx:
        assert (
            tx.mail(
                Mail(to="paul@example.fr", subject="Votre code de connexion", body="Code : 123456", key="login-code-1")
            )
            is True
        )
        assert tx.mail(Mail(to="paul@example.fr", subject="Votre code", body="x", key="login-code-1")) is False
        tx.commit()
    assert sender.send_batch() == 1 and sender.send_batch() == 0
    message = portal_env.smtp.wait_for(lambda m: m["Subject"] == "Votre code de connexion")
    assert message["To"] == "paul@example.fr" and "123456" in message.get_content()


def test_a_mail_of_a_rolled_back_transaction_is_never_sent(parts, portal_env):
    db, outbox, table, sender = parts
    with UnitOfWork(db, outbox, table) as tx:
        tx.mail(Mail(to="rollback@example.fr", subject="Jamais envoyé", body="x"))
    assert sender.send_batch() == 0
    assert portal_env.smtp.to("rollback@example.fr") == []


def test_an_unreachable_smtp_server_postpones_the_mail_without_losing_it(parts, portal_env):
    db, outbox, table, _ = parts
    with UnitOfWork(db, outbox, table) as tx:
        tx.mail(Mail(to="later@example.fr", subject="Plus tard", body="x"))
        tx.commit()
    down = MailSender(db, table, host="127.0.0.1", port=9, sender="x@portail.local", timeout=1)
    assert down.send_batch() == 0
    with db.session_factory() as session:
        row = session.execute(table.select().where(table.c.recipient == "later@example.fr")).one()
        session.execute(table.update().where(table.c.id == row.id).values(next_attempt_at=row.created_at))
        session.commit()
    assert row.attempts == 1 and row.sent_at is None and "unreachable" in row.last_error
    sender = MailSender(db, table, host="127.0.0.1", port=portal_env.smtp.port, sender="x@portail.local")
    assert sender.send_batch() == 1
    portal_env.smtp.wait_for(lambda m: m["Subject"] == "Plus tard")
