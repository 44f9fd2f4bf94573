"""A queue opted in to batches: many deliveries applied in one transaction and acknowledged together, a
poison message alone still retried then dead-lettered, duplicates applied once (real RabbitMQ and PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pika
import pytest
from sqlalchemy import Column, MetaData, String, Table, select

from portal_common.db import Database
from portal_common.messaging import broker, catalogue
from portal_common.messaging.consumer import Consumer, Subscription
from portal_common.messaging.envelope import Envelope
from portal_common.messaging.outbox import Outbox
from portal_common.testing.environment import TEST_RETRY_DELAY_MS

pytestmark = pytest.mark.integration

EVENT = "members.member.registered.v1"
EXCHANGE = "portal.events"
QUEUE = "test.batched-members"
POISON = "Entreprise empoisonnée"


@pytest.fixture(scope="module")
def parts(portal_env):
    db = Database(portal_env.database_url("consumer_batch"))
    metadata = MetaData()
    outbox = Outbox("identity", metadata)
    applied = Table(
        "applied",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("name", String(200), nullable=False),
    )
    metadata.create_all(db.engine)
    yield db, outbox, applied, portal_env.new_vhost("consumer-batch")
    db.dispose()


def events(count):
    found = []
    for index in range(count):
        data = catalogue.example(EVENT)
        data["name"] = POISON if index == 7 else f"Entreprise {index}"
        found.append(
            Envelope.new(EVENT, producer="members", subject=data["member_id"], member_id=data["member_id"], data=data)
        )
    return found


def empty_queue_of(consumer, broker_url):
    """A publishing channel (with confirms) on the consumer's queue, declared and emptied."""
    connection = broker.connect(broker_url)
    channel = connection.channel()
    consumer.declare(channel)
    channel.queue_purge(QUEUE)
    channel.confirm_delivery()
    return connection, channel


def run(parts, batch_size, envelopes, *, redelivered=()):
    db, outbox, applied, broker_url = parts
    calls = []

    def handler(session, envelope):
        calls.append(envelope.id)
        if envelope.data["name"] == POISON:
            raise RuntimeError("this one can never be applied")
        session.execute(applied.insert().values(event_id=envelope.id, name=envelope.data["name"]))

    consumer = Consumer(
        service="identity",
        db=db,
        outbox=outbox,
        broker_url=broker_url,
        exchange=EXCHANGE,
        subscriptions=[Subscription(QUEUE, {EVENT: handler}, batch_size=batch_size)],
        prefetch=5,
        max_attempts=2,
        retry_delay_ms=TEST_RETRY_DELAY_MS,
    )
    connection, channel = empty_queue_of(consumer, broker_url)
    # Published before the worker starts, so its first deliveries already wait for it: real batches.
    for envelope in list(envelopes) + list(redelivered):
        channel.basic_publish(
            EXCHANGE,
            EVENT,
            envelope.to_json().encode(),
            pika.BasicProperties(message_id=envelope.id, type=EVENT, delivery_mode=2),
            mandatory=True,
        )
    thread = threading.Thread(target=consumer.run_forever, daemon=True)
    thread.start()
    total = len(envelopes) + len(redelivered)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stats = consumer.stats
        if stats["processed"] + stats["duplicates"] + stats["dead_lettered"] >= total:
            break
        time.sleep(0.05)
    consumer.stop()
    thread.join(timeout=10)
    left = channel.queue_declare(QUEUE, passive=True).method.message_count
    dead = channel.basic_get(f"{QUEUE}.dlq", auto_ack=True)
    connection.close()
    return consumer, calls, left, dead


def names(db, applied):
    with db.session_factory() as session:
        return sorted(session.scalars(select(applied.c.name)))


def test_deliveries_of_a_batched_queue_are_applied_in_few_transactions_and_a_poison_one_alone_is_dead_lettered(parts):
    db, _, applied, _ = parts
    envelopes = events(60)
    consumer, calls, left, dead = run(parts, 20, envelopes, redelivered=envelopes[:3])
    good = sorted(e.data["name"] for e in envelopes if e.data["name"] != POISON)
    assert names(db, applied) == good  # each once, the redelivered ones included
    assert 1 <= consumer.stats["batches"] < 30, "the deliveries were not handled in batches"
    assert consumer.stats["processed"] == 59 and consumer.stats["duplicates"] == 3
    assert (consumer.stats["retried"], consumer.stats["dead_lettered"]) == (1, 1)  # max_attempts=2
    method, properties, body = dead
    assert method is not None and Envelope.from_json(body).data["name"] == POISON
    assert "RuntimeError after 2 attempts" in properties.headers["x-portal-error"]
    assert left == 0  # every delivery acknowledged, the multiple acks included


def test_a_queue_not_opted_in_handles_each_message_in_its_own_transaction(parts):
    db, _, applied, _ = parts
    with db.session_factory() as session:
        session.execute(applied.delete())
        session.commit()
    envelopes = events(12)
    consumer, _, left, _ = run(parts, 1, envelopes)
    assert consumer.stats["batches"] == 0 and consumer.stats["processed"] == 11
    assert consumer.stats["dead_lettered"] == 1 and left == 0
    assert len(names(db, applied)) == 11


def test_a_trickle_of_deliveries_waits_the_configured_time_and_is_applied_as_one_batch(parts):
    db, outbox, applied, broker_url = parts
    with db.session_factory() as session:
        session.execute(applied.delete())
        session.commit()
    transactions = []

    def handler(session, envelope):
        session.execute(applied.insert().values(event_id=envelope.id, name=envelope.data["name"]))

    def batch_handler(session, envelopes):
        transactions.append(len(envelopes))
        for envelope in envelopes:
            handler(session, envelope)

    consumer = Consumer(
        service="identity",
        db=db,
        outbox=outbox,
        broker_url=broker_url,
        exchange=EXCHANGE,
        subscriptions=[
            Subscription(QUEUE, {EVENT: handler}, batch_size=50, batch_wait_ms=1500, batch_handler=batch_handler)
        ],
        prefetch=5,
        max_attempts=2,
        retry_delay_ms=TEST_RETRY_DELAY_MS,
    )
    connection, channel = empty_queue_of(consumer, broker_url)
    thread = threading.Thread(target=consumer.run_forever, daemon=True)
    thread.start()
    assert consumer.ready.wait(10)
    trickle = [e for e in events(10) if e.data["name"] != POISON]
    for envelope in trickle:  # one every 50 ms, while the worker is already waiting
        channel.basic_publish(
            EXCHANGE,
            EVENT,
            envelope.to_json().encode(),
            pika.BasicProperties(message_id=envelope.id, type=EVENT, delivery_mode=2),
            mandatory=True,
        )
        time.sleep(0.05)
    deadline = time.monotonic() + 20
    while consumer.stats["processed"] < len(trickle) and time.monotonic() < deadline:
        time.sleep(0.05)
    consumer.stop()
    thread.join(timeout=10)
    left = channel.queue_declare(QUEUE, passive=True).method.message_count
    connection.close()
    assert transactions == [len(trickle)]  # 9 deliveries over ~0.45 s: one batch, one transaction
    assert len(names(db, applied)) == len(trickle) and left == 0


def test_a_worker_beats_ready_once_consuming_and_its_probe_fails_when_the_loop_stops(parts, tmp_path, monkeypatch):
    from portal_common.heartbeat import check

    db, outbox, _, broker_url = parts
    beat = tmp_path / "worker.beat"
    monkeypatch.setenv("PORTAL_HEARTBEAT_FILE", str(beat))
    consumer = Consumer(
        service="identity",
        db=db,
        outbox=outbox,
        broker_url=broker_url,
        exchange=EXCHANGE,
        subscriptions=[Subscription(QUEUE, {EVENT: lambda session, envelope: None})],
        prefetch=5,
        max_attempts=2,
        retry_delay_ms=TEST_RETRY_DELAY_MS,
    )
    thread = threading.Thread(target=consumer.run_forever, daemon=True)
    thread.start()
    try:
        assert consumer.ready.wait(15)
        deadline = time.monotonic() + 5
        while not beat.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert check(beat, max_age=60, need_ready=True) is None
    finally:
        consumer.stop()
        thread.join(timeout=15)
    # A loop that no longer turns stops beating: past the limit the liveness probe fails and the pod restarts.
    assert "s ago" in check(beat, max_age=60, need_ready=False, now=time.time() + 61)
