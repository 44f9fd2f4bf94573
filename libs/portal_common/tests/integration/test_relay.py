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


@pytest.fixture
def queue(portal_env):
    """A queue bound to the event type, so publishes are routable and can be counted."""
    name = f"test.relay-{uuid.uuid4().hex[:8]}"
    connection = broker.connect(portal_env.broker_url())
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
            ids.append(outbox.record(session, EVENT, subject=data["member_id"], member_id=data["member_id"],
                                     data=data).id)
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


def test_two_relays_in_parallel_publish_every_event_exactly_once(database, queue, portal_env):
    db, outbox = database
    channel, name = queue
    ids = record(db, outbox, 300)
    relays = [Relay(db, portal_env.broker_url(), "portal.events", service="members", batch_size=20) for _ in range(2)]
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


def test_an_unroutable_event_stays_in_the_outbox_and_is_retried_later(database, portal_env):
    db, outbox = database
    metadata_outbox = outbox.table
    with db.session_factory() as session:
        data = catalogue.example("workforce.employee.hired.v1")
        event = outbox.record(session, "workforce.employee.hired.v1", subject=data["employee_id"],
                              member_id=data["member_id"], data=data)
        session.commit()
    relay = Relay(db, portal_env.broker_url(), "portal.events-unbound", service="members")
    relay._open_channel()
    try:
        relay.publish_batch()
    finally:
        relay._close_broker()
    with db.session_factory() as session:
        row = session.execute(select(metadata_outbox).where(metadata_outbox.c.id == event.id)).one()
        session.execute(metadata_outbox.delete().where(metadata_outbox.c.id == event.id))
        session.commit()
    assert row.published_at is None and row.attempts == 1 and "unroutable" in row.last_error
