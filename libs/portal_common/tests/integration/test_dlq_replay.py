"""The dead-letter tool against the real RabbitMQ (a vhost of its own) and PostgreSQL: a message dead-lettered
by a real Consumer is listed with its reason and without its body, a dry run changes nothing, a replay sends it
back with its attempt counter reset and the consumer applies it once."""

from __future__ import annotations

import io
import threading
import time

import pika
import pytest
from sqlalchemy import Column, MetaData, String, Table, func, select

from portal_common.db import Database
from portal_common.messaging import broker, catalogue, dlq
from portal_common.messaging.consumer import Consumer, Subscription
from portal_common.messaging.outbox import Outbox
from portal_common.testing.environment import TEST_INTERNAL_KEY, TEST_RETRY_DELAY_MS

pytestmark = pytest.mark.integration

EVENT = "members.member.registered.v1"
EXCHANGE = "portal.events"
QUEUE = "identity.member-directory"  # a real queue of identity: the tool only acts on its service's queues
SECRET_NAME = "Cabinet Très Confidentiel"


@pytest.fixture
def stack(portal_env, request):
    purpose = f"dlq{len(request.node.name)}-{time.monotonic_ns()}"
    db = Database(portal_env.database_url(purpose.replace("-", "_")))
    metadata = MetaData()
    outbox = Outbox("identity", metadata)
    applied = Table("applied", metadata, Column("event_id", String(36), primary_key=True))
    metadata.create_all(db.engine)
    broker_url = portal_env.new_vhost(purpose)
    failures = {"left": 2, "calls": 0}

    def handler(session, envelope):
        failures["calls"] += 1
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("the directory is broken")
        session.execute(applied.insert().values(event_id=envelope.id))

    consumer = Consumer(
        service="identity",
        db=db,
        outbox=outbox,
        broker_url=broker_url,
        exchange=EXCHANGE,
        subscriptions=[Subscription(QUEUE, {EVENT: handler})],
        prefetch=5,
        max_attempts=2,
        retry_delay_ms=TEST_RETRY_DELAY_MS,
    )
    thread = threading.Thread(target=consumer.run_forever, daemon=True)
    thread.start()
    assert consumer.ready.wait(30)
    environ = {
        "PORTAL_BROKER_URL": broker_url,
        "PORTAL_INTERNAL_KEY": TEST_INTERNAL_KEY,
        "PORTAL_RETRY_DELAY_MS": str(TEST_RETRY_DELAY_MS),
    }
    yield db, applied, broker_url, consumer, failures, environ
    consumer.stop()
    thread.join(10)
    db.dispose()
    portal_env.drop_vhost(broker_url)


def publish(broker_url):
    envelope = catalogue.example_envelope(EVENT, name=SECRET_NAME)
    connection = broker.connect(broker_url)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        EXCHANGE,
        EVENT,
        envelope.to_json().encode(),
        pika.BasicProperties(message_id=envelope.id, type=EVENT, delivery_mode=2),
        mandatory=True,
    )
    connection.close()
    return envelope


def dlq_count(broker_url):
    connection = broker.connect(broker_url)
    count = connection.channel().queue_declare(f"{QUEUE}.dlq", passive=True).method.message_count
    connection.close()
    return count


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def run(environ, *argv):
    out = io.StringIO()
    code = dlq.main(["--service", "identity", *argv], environ=environ, out=out)
    return code, out.getvalue()


def applied_count(db, applied):
    with db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(applied))


def test_a_dead_lettered_event_is_listed_without_its_body_then_replayed_and_applied_once(stack):
    db, applied, broker_url, consumer, failures, environ = stack
    envelope = publish(broker_url)
    assert wait_for(lambda: consumer.stats["dead_lettered"] == 1)
    assert wait_for(lambda: dlq_count(broker_url) == 1)

    code, listing = run(environ, "list", "--queue", QUEUE)
    assert code == 0
    assert f"{QUEUE}.dlq : 1 message(s)" in listing
    assert EVENT in listing and envelope.id in listing
    assert "RuntimeError after 2 attempts" in listing
    assert "mort le inconnue" not in listing  # the consumer stamps when it dead-lettered it
    assert SECRET_NAME not in listing and envelope.data["member_id"] not in listing
    assert dlq_count(broker_url) == 1  # listing gives every message back

    code, simulated = run(environ, "replay", "--queue", QUEUE, "--all", "--dry-run")
    assert code == 0 and envelope.id in simulated and "rien n'a été modifié" in simulated
    time.sleep(3 * TEST_RETRY_DELAY_MS / 1000)
    assert dlq_count(broker_url) == 1
    assert failures["calls"] == 2 and applied_count(db, applied) == 0

    # Fails once more after the replay: with the attempt counter reset it is retried, not dead-lettered again.
    failures["left"] = 1
    code, replayed = run(environ, "replay", "--queue", QUEUE, "--event-id", envelope.id)
    assert code == 0 and "1 message(s) rejoué(s)" in replayed
    assert dlq_count(broker_url) == 0
    assert wait_for(lambda: applied_count(db, applied) == 1)
    time.sleep(3 * TEST_RETRY_DELAY_MS / 1000)
    assert applied_count(db, applied) == 1 and consumer.stats["dead_lettered"] == 1
    assert consumer.stats["processed"] == 1 and dlq_count(broker_url) == 0

    code, _ = run(environ, "replay", "--queue", QUEUE, "--event-id", envelope.id)
    assert code == 1  # nothing left to replay


def test_an_unknown_event_id_replays_nothing(stack):
    _, _, broker_url, consumer, _, environ = stack
    publish(broker_url)
    assert wait_for(lambda: consumer.stats["dead_lettered"] == 1)
    assert wait_for(lambda: dlq_count(broker_url) == 1)
    code, _ = run(environ, "replay", "--queue", QUEUE, "--event-id", "00000000-0000-0000-0000-000000000000")
    assert code == 1 and dlq_count(broker_url) == 1


def test_a_queue_of_another_service_is_refused(stack):
    environ = stack[-1]
    code, _ = run(environ, "replay", "--queue", "billing.no-shows", "--all")
    assert code == 1
