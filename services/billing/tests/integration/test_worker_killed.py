"""The January rush's worst case: a billing worker PROCESS is killed (SIGKILL) in the middle of a batch of
declarations; another worker takes over its unacknowledged deliveries. Every declaration still gets exactly
one invoice, the numbers are gapless and each invoice's event is recorded once (real RabbitMQ vhost and
PostgreSQL of the test run, `python -m billing.worker` processes as deployed)."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pika
import pytest
from sqlalchemy import func, select, text

from billing.customers.use_cases import seed_customer
from billing.invoices.use_cases.locks import MEMBER_HIRES_LOCK
from billing.models import Invoice, ReceivedDeclaration
from billing.worker import DECLARATIONS_QUEUE, subscriptions
from portal_common.messaging import broker, catalogue
from portal_common.messaging.topology import declare_exchanges, declare_queue

pytestmark = pytest.mark.integration

DECLARATIONS = 300
RESENT = 30  # also confirmed a second time under another event id
CONFIRMED = "workforce.declaration.confirmed.v1"


def start_worker(portal_env, service, log):
    env = {**os.environ, **portal_env.environ("billing", service.database_url)}
    return subprocess.Popen(
        [sys.executable, "-m", "billing.worker"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def consumers_of(channel, queue):
    return channel.queue_declare(queue, passive=True).method.consumer_count


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what}: not within {timeout} s")


def count(service, statement):
    with service.portal.db.session_factory() as session:
        return session.scalar(statement)


def a_batch_is_stuck(service):
    """A worker's transaction waits on the company lock the test holds: its batch is half applied."""
    with service.portal.db.engine.connect() as conn:
        return (
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                )
            )
            > 0
        )


def test_a_worker_killed_mid_batch_leaves_one_invoice_per_declaration_and_gapless_numbers(
    portal_env, service, snapshot, tariff_2026, tmp_path
):
    members = [str(uuid.UUID(int=rank + 1)) for rank in range(DECLARATIONS)]
    for member_id in members:
        seed_customer(service.portal, snapshot(member_id))
    declarations = [
        catalogue.example_envelope(CONFIRMED, declaration_id=str(uuid.uuid4()), member_id=member_id, version=1)
        for member_id in members
    ]
    resent = [catalogue.example_envelope(CONFIRMED, **envelope.data) for envelope in declarations[-RESENT:]]
    settings = service.portal.settings
    connection = broker.connect(settings.broker_url)
    channel = connection.channel()
    channel.confirm_delivery()
    declare_exchanges(channel, settings.exchange)
    for subscription in subscriptions(settings):  # as the workers will (their queues exist before they start)
        declare_queue(channel, settings.exchange, subscription.spec(settings.retry_delay_ms))
    log = (tmp_path / "workers.log").open("wb")
    blocker = service.portal.db.engine.connect()
    blocker.execute(
        text("SELECT pg_advisory_xact_lock(:kind, hashtext(:member))"),
        {"kind": MEMBER_HIRES_LOCK, "member": members[DECLARATIONS // 2]},
    )
    doomed = start_worker(portal_env, service, log)
    survivor = None
    try:
        wait_until(lambda: consumers_of(channel, DECLARATIONS_QUEUE) == 1, 30, "the first worker consuming")
        for envelope in declarations + resent:
            channel.basic_publish(
                settings.exchange,
                envelope.type,
                envelope.to_json().encode(),
                pika.BasicProperties(message_id=envelope.id, type=envelope.type, delivery_mode=2),
                mandatory=True,
            )
        invoiced = lambda: count(service, select(func.count()).select_from(Invoice))
        # Killed inside a batch: the one holding a company whose lock the test took meanwhile (as a late
        # hire being billed would), once earlier batches were committed.
        wait_until(lambda: a_batch_is_stuck(service), 60, "a batch waiting mid-way")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        blocker.rollback()
        before_takeover = invoiced()
        assert 0 < before_takeover < DECLARATIONS, "the worker was not killed in the middle of the rush"
        wait_until(lambda: consumers_of(channel, DECLARATIONS_QUEUE) == 0, 30, "the killed worker's channel closed")
        survivor = start_worker(portal_env, service, log)
        wait_until(
            lambda: (
                count(service, select(func.count()).select_from(ReceivedDeclaration)) >= DECLARATIONS
                and channel.queue_declare(DECLARATIONS_QUEUE, passive=True).method.message_count == 0
            ),
            120,
            "the second worker finishing",
        )
        time.sleep(0.5)  # a redelivered duplicate still in flight would show up now
    finally:
        for process in (doomed, survivor):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
        blocker.close()
        log.close()
        connection.close()

    with service.portal.db.session_factory() as session:
        invoices = list(session.scalars(select(Invoice).order_by(Invoice.number)))
        received = session.scalar(select(func.count()).select_from(ReceivedDeclaration))
    assert received == DECLARATIONS
    assert sorted(invoice.declaration_id for invoice in invoices) == sorted(
        envelope.data["declaration_id"] for envelope in declarations
    )  # exactly one each
    year = invoices[0].issued_on.year
    assert [invoice.number for invoice in invoices] == [f"F{year}-{rank:06d}" for rank in range(1, DECLARATIONS + 1)]
    issued = [e for e in service.events() if e.type == "billing.invoice.issued.v1"]
    assert sorted(e.data["number"] for e in issued) == [invoice.number for invoice in invoices]
    assert channel_is_clean(settings)


def channel_is_clean(settings):
    """Nothing was dead-lettered: the kill cost no declaration."""
    connection = broker.connect(settings.broker_url)
    try:
        return connection.channel().queue_declare(f"{DECLARATIONS_QUEUE}.dlq", passive=True).method.message_count == 0
    finally:
        connection.close()
