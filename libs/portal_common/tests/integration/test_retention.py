"""Retention on both engines: what is past its period goes by batches, what is still needed stays, and an event
redelivered after the inbox forgot it is applied once or kept for an operator (portal_common.retention)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from portal_common.clock import utcnow
from portal_common.db import Database
from portal_common.idempotency import idempotency_table
from portal_common.mail import mail_outbox_table
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer, PermanentError, Subscription
from portal_common.messaging.envelope import Envelope
from portal_common.messaging.outbox import Outbox
from portal_common.retention import Purger, RetentionPeriods, RetentionRule, purge, purge_rule, standard_rules

pytestmark = pytest.mark.integration

EVENT = "members.member.registered.v1"
PERIODS = RetentionPeriods(outbox=timedelta(days=7), inbox=timedelta(days=30), mail=timedelta(days=7))


@pytest.fixture(params=["postgresql", "sqlite"])
def parts(request, portal_env, tmp_path):
    url = portal_env.database_url("retention") if request.param == "postgresql" else f"sqlite:///{tmp_path}/r.db"
    db = Database(url)
    metadata = MetaData()
    outbox = Outbox("members", metadata)
    mail_outbox_table(metadata)
    idempotency_table(metadata)
    applied = Table("applied", metadata, Column("member_id", String(36), primary_key=True))
    metadata.drop_all(db.engine)
    metadata.create_all(db.engine)
    yield db, outbox, metadata, applied
    metadata.drop_all(db.engine)
    db.dispose()


def ago(**delta):
    return utcnow() - timedelta(**delta)


def fill(db, metadata):
    """Rows on each side of each period; returns the ids that must survive."""
    t = metadata.tables
    keep = {"outbox": set(), "inbox": set(), "mail_outbox": set(), "idempotency_key": set()}
    rows = {
        "outbox": [
            ("old published", ago(days=30), ago(days=30), False),
            ("recent published", ago(days=1), ago(days=1), True),
            ("old pending", ago(days=30), None, True),  # never published: the relay still needs it
        ],
        "mail_outbox": [
            ("old sent", ago(days=30), ago(days=30), False),
            ("recent sent", ago(days=1), ago(days=1), True),
            ("old unsent", ago(days=30), None, True),
        ],
    }
    with db.session_factory() as session:
        for label, created, published, kept in rows["outbox"]:
            key = str(uuid.uuid4())
            session.execute(
                insert(t["outbox"]).values(
                    id=key,
                    event_type=EVENT,
                    body=label,
                    created_at=created,
                    published_at=published,
                    next_attempt_at=created,
                )
            )
            if kept:
                keep["outbox"].add(key)
        for label, created, sent, kept in rows["mail_outbox"]:
            key = str(uuid.uuid4())
            session.execute(
                insert(t["mail_outbox"]).values(
                    id=key,
                    key=label,
                    recipient="a@example.org",
                    subject=label,
                    body="Bonjour Jeanne Martin",
                    created_at=created,
                    sent_at=sent,
                    next_attempt_at=created,
                )
            )
            if kept:
                keep["mail_outbox"].add(key)
        for days, kept in ((60, False), (1, True)):
            key = str(uuid.uuid4())
            session.execute(
                insert(t["inbox"]).values(consumer="q", event_id=key, event_type=EVENT, processed_at=ago(days=days))
            )
            if kept:
                keep["inbox"].add(key)
        for hours, kept in ((30, False), (20, True)):  # kept answers are promised for 24 hours
            key = str(uuid.uuid4())
            session.execute(
                insert(t["idempotency_key"]).values(
                    owner="token:1", key=key, fingerprint="f", created_at=ago(hours=hours)
                )
            )
            if kept:
                keep["idempotency_key"].add(key)
        session.commit()
    return keep


def survivors(db, metadata):
    t = metadata.tables
    with db.session_factory() as session:
        return {
            "outbox": set(session.scalars(select(t["outbox"].c.id))),
            "inbox": set(session.scalars(select(t["inbox"].c.event_id))),
            "mail_outbox": set(session.scalars(select(t["mail_outbox"].c.id))),
            "idempotency_key": set(session.scalars(select(t["idempotency_key"].c.key))),
        }


def test_a_purge_removes_only_what_is_past_its_period_and_no_longer_needed(parts):
    db, _, metadata, _ = parts
    keep = fill(db, metadata)
    counts = purge(db, standard_rules(metadata, PERIODS))
    assert counts == {"outbox": 1, "inbox": 1, "mail_outbox": 1, "idempotency_key": 1}
    assert survivors(db, metadata) == keep  # pending events and unsent mails stay whatever their age
    assert purge(db, standard_rules(metadata, PERIODS)) == dict.fromkeys(counts, 0)


def test_a_large_backlog_goes_in_small_batches_and_a_round_stops_at_its_budget(parts):
    db, _, metadata, _ = parts
    inbox = metadata.tables["inbox"]
    with db.session_factory() as session:
        session.execute(
            insert(inbox),
            [
                {"consumer": "q", "event_id": str(uuid.uuid4()), "event_type": EVENT, "processed_at": ago(days=90)}
                for _ in range(25)
            ],
        )
        session.commit()
    rule = RetentionRule(inbox, "processed_at", PERIODS.inbox)
    assert purge_rule(db, rule, batch=10, deadline=time.monotonic() - 1) == 0  # the budget is already spent
    assert purge_rule(db, rule, batch=10) == 25  # three batches of composite keys
    with db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(inbox)) == 0


def test_the_worker_purges_when_its_interval_comes_and_not_before(parts):
    db, _, metadata, _ = parts
    fill(db, metadata)
    purger = Purger(db, standard_rules(metadata, PERIODS), interval=3600)
    assert purger.maybe_run() is None  # just started: not in the middle of a start-up backlog
    purger._next = time.monotonic()
    assert sum(purger.maybe_run().values()) == 4
    assert purger.maybe_run() is None  # the next round is an interval away


def consumer(db, outbox, applied, replay_safe):
    def handler(session, envelope):
        # Idempotent by a natural key: a second application of the same registration inserts nothing.
        member = envelope.data["member_id"]
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        session.execute(upsert(applied).values(member_id=member).on_conflict_do_nothing())

    return Consumer(
        service="members",
        db=db,
        outbox=outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=[Subscription("q", {EVENT: handler}, replay_safe=replay_safe)],
        inbox_window=PERIODS.inbox,
    )


def registration(occurred_at):
    data = catalogue.example(EVENT)
    envelope = Envelope.new(
        EVENT, producer="members", subject=data["member_id"], member_id=data["member_id"], data=data
    )
    return Envelope(**{**envelope.__dict__, "occurred_at": occurred_at})


def test_an_event_redelivered_after_its_inbox_row_was_purged_is_applied_once_by_a_natural_key(parts):
    db, outbox, metadata, applied = parts
    worker = consumer(db, outbox, applied, replay_safe=True)
    event = registration(utcnow().isoformat().replace("+00:00", "Z"))
    assert worker.process("q", event) is True
    assert worker.process("q", event) is False  # within the window the inbox refuses it
    purge(db, standard_rules(metadata, RetentionPeriods(inbox=timedelta(0))))
    old = registration("2020-01-01T00:00:00Z")
    old = Envelope(**{**old.__dict__, "id": event.id, "data": event.data})
    assert worker.process("q", old) is True  # the inbox forgot it…
    with db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(applied)) == 1  # …the natural key did not


def test_an_event_older_than_the_inbox_window_is_dead_lettered_when_its_handler_has_no_natural_key(parts):
    db, outbox, _, applied = parts
    worker = consumer(db, outbox, applied, replay_safe=False)
    with pytest.raises(PermanentError, match="inbox window"):
        worker.process("q", registration("2020-01-01T00:00:00Z"))
    with pytest.raises(PermanentError, match="inbox window"):
        worker.process_batch("q", [registration("2020-01-01T00:00:00Z")])
    with db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(applied)) == 0  # nothing applied blindly
    assert worker.process("q", registration(utcnow().isoformat().replace("+00:00", "Z"))) is True
