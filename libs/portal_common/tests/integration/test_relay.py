"""The relay on PostgreSQL: rows marked only once confirmed, two relays never publish a row twice."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import MetaData, select

from portal_common.db import Database
from portal_common.messaging import broker, catalogue
from portal_common.messaging.outbox import Outbox
from portal_common.messaging.relay import Relay
from portal_common.messaging.topology import declare_exchanges
from portal_common.testing.environment import TEST_RETRY_DELAY_MS

pytestmark = pytest.mark.integration

EVENT = "members.member.registered.v1"


@pytest.fixture(scope="module")
def database(portal_env):
    db = Database(portal_env.database_url("relay"))
    metadata = MetaData()
    outbox = Outbox("members", metadata)
    metadata.create_all(db.engine)
    yield db, outbox
    db.dispose()


@pytest.fixture(scope="module")
def broker_url(portal_env):
    """Its own vhost: relays declare every consumer queue, which must not fill the other tests' queues."""
    return portal_env.new_vhost("relay")


@pytest.fixture
def queue(broker_url):
    """A queue bound to the event type, so publishes are routable and can be counted."""
    name = f"test.relay-{uuid.uuid4().hex[:8]}"
    connection = broker.connect(broker_url)
    channel = connection.channel()
    declare_exchanges(channel, "portal.events")
    channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(name, "portal.events", routing_key=EVENT)
    yield channel, name
    channel.queue_delete(name)
    connection.close()


def record(db, outbox, count):
    ids = []
    with db.session_factory() as session:
        for _ in range(count):
            data = catalogue.example(EVENT)
            ids.append(
                outbox.record(session, EVENT, subject=data["member_id"], member_id=data["member_id"], data=data).id
            )
        session.commit()
    return ids


def drain(channel, name, expected, timeout=30.0):
    received = []
    deadline = time.monotonic() + timeout
    while len(received) < expected and time.monotonic() < deadline:
        method, properties, _ = channel.basic_get(name, auto_ack=True)
        if method is None:
            time.sleep(0.05)
        else:
            received.append(properties.message_id)
    return received


def test_two_relays_in_parallel_publish_every_event_exactly_once(database, queue, broker_url):
    db, outbox = database
    channel, name = queue
    ids = record(db, outbox, 300)
    relays = [
        Relay(db, broker_url, "portal.events", service="members", batch_size=20, retry_delay_ms=TEST_RETRY_DELAY_MS)
        for _ in range(2)
    ]
    threads = [threading.Thread(target=r.run_forever, daemon=True) for r in relays]
    for thread in threads:
        thread.start()
    received = drain(channel, name, len(ids))
    for relay in relays:
        relay.stop()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(received) == sorted(ids)  # each once: SKIP LOCKED kept the relays apart
    assert all(r.published_count > 0 for r in relays)
    with db.session_factory() as session:
        assert outbox.backlog(session)[0] == 0


def record_one(db, outbox, event_type):
    with db.session_factory() as session:
        data = catalogue.example(event_type)
        event = outbox.record(
            session, event_type, subject=str(next(iter(data.values()))), member_id=data["member_id"], data=data
        )
        session.commit()
    return event


def publish_once(db, broker_url, exchange, before_publish=None):
    relay = Relay(db, broker_url, exchange, service="members", retry_delay_ms=TEST_RETRY_DELAY_MS)
    relay._open_channel()
    try:
        if before_publish:
            before_publish(relay._channel)
        relay.publish_batch()
    finally:
        relay._close_broker()


def take_row(db, outbox, event_id):
    table = outbox.table
    with db.session_factory() as session:
        row = session.execute(select(table).where(table.c.id == event_id)).one()
        session.execute(table.delete().where(table.c.id == event_id))
        session.commit()
    return row


def test_a_subscribed_event_that_cannot_be_routed_stays_in_the_outbox_and_is_retried_later(database, broker_url):
    db, outbox = database
    event = record_one(db, outbox, "workforce.employee.hired.v1")
    exchange = "portal.events-unroutable-test"

    def unbind_every_queue(channel):
        for queue, event_types in catalogue.topology().items():
            if "workforce.employee.hired.v1" in event_types:
                channel.queue_unbind(queue, exchange, routing_key="workforce.employee.hired.v1")

    publish_once(db, broker_url, exchange, before_publish=unbind_every_queue)
    row = take_row(db, outbox, event.id)
    assert row.published_at is None and row.attempts == 1 and "unroutable" in row.last_error


def test_an_event_nobody_subscribes_to_yet_is_published_and_kept_as_history(database, broker_url):
    db, outbox = database
    event = record_one(db, outbox, "billing.invoice.issued.v1")
    publish_once(db, broker_url, "portal.events")
    row = take_row(db, outbox, event.id)
    assert row.published_at is not None and row.attempts == 0


def test_in_one_batch_sent_before_any_confirm_only_the_unroutable_event_stays_and_the_others_are_marked(
    database, broker_url
):
    db, outbox = database
    routable = [record_one(db, outbox, "members.member.registered.v1") for _ in range(30)]
    lost = record_one(db, outbox, "workforce.employee.hired.v1")
    exchange = "portal.events-mixed-test"

    def unbind_hires(channel):
        for queue, event_types in catalogue.topology().items():
            if "workforce.employee.hired.v1" in event_types:
                channel.queue_unbind(queue, exchange, routing_key="workforce.employee.hired.v1")

    publish_once(db, broker_url, exchange, before_publish=unbind_hires)
    rows = [take_row(db, outbox, event.id) for event in routable]
    assert all(row.published_at is not None and row.attempts == 0 for row in rows)
    row = take_row(db, outbox, lost.id)
    assert row.published_at is None and row.attempts == 1 and "unroutable" in row.last_error


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def test_a_relay_beats_ready_while_connected_and_alive_but_unready_while_the_broker_is_unreachable(
    database, broker_url, tmp_path, monkeypatch
):
    from portal_common.heartbeat import check

    db, _ = database
    beat = tmp_path / "relay.beat"
    monkeypatch.setenv("PORTAL_HEARTBEAT_FILE", str(beat))
    relays = [
        Relay(db, broker_url, "portal.events", service="members", retry_delay_ms=TEST_RETRY_DELAY_MS),
        Relay(db, "amqp://guest:guest@127.0.0.1:1/", "portal.events", service="members"),  # nothing listens there
    ]
    for relay, ready in zip(relays, (True, False), strict=True):
        beat.unlink(missing_ok=True)
        thread = threading.Thread(target=relay.run_forever, daemon=True)
        thread.start()
        try:
            assert wait_for(beat.exists), "the relay writes its heartbeat"
            assert check(beat, max_age=60, need_ready=False) is None
            assert (check(beat, max_age=60, need_ready=True) is None) is ready
        finally:
            relay.stop()
            thread.join(timeout=15)
