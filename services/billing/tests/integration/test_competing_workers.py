"""The January rush in small: several billing workers consume the declarations queue at once over the real
broker; every declaration, even delivered twice, gives exactly one invoice, and numbers stay gapless."""

import threading
import time
import uuid

import pika
import pytest
from sqlalchemy import select

from billing.customers.use_cases import seed_customer
from billing.models import Invoice
from billing.worker import subscriptions
from portal_common.messaging import broker, catalogue
from portal_common.messaging.consumer import Consumer

pytestmark = pytest.mark.integration

WORKERS = 3
DECLARATIONS = 30
CONFIRMED = "workforce.declaration.confirmed.v1"


def start_workers(service, count):
    settings = service.portal.settings
    workers, threads = [], []
    for _ in range(count):
        consumer = Consumer(
            service="billing",
            db=service.portal.db,
            outbox=service.portal.outbox,
            broker_url=settings.broker_url,
            exchange=settings.exchange,
            subscriptions=subscriptions(settings),
            prefetch=4,
            max_attempts=settings.max_attempts,
            retry_delay_ms=settings.retry_delay_ms,
        )
        thread = threading.Thread(target=consumer.run_forever, daemon=True)
        thread.start()
        workers.append(consumer)
        threads.append(thread)
    for consumer in workers:
        assert consumer.ready.wait(30), "worker did not connect"
    return workers, threads


def publish(service, envelopes):
    connection = broker.connect(service.portal.settings.broker_url)
    channel = connection.channel()
    channel.confirm_delivery()
    for envelope in envelopes:
        channel.basic_publish(
            service.portal.settings.exchange,
            envelope.type,
            envelope.to_json().encode(),
            pika.BasicProperties(message_id=envelope.id, type=envelope.type, delivery_mode=2),
            mandatory=True,
        )
    connection.close()


def wait_until(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout} s")


def test_three_workers_consuming_at_once_issue_one_invoice_per_declaration_with_gapless_numbers(
    service, snapshot, tariff_2026
):
    members = [str(uuid.UUID(int=rank + 1)) for rank in range(DECLARATIONS)]
    for member_id in members:
        seed_customer(service.portal, snapshot(member_id))
    declarations = [
        catalogue.example_envelope(CONFIRMED, declaration_id=str(uuid.uuid4()), member_id=member_id, version=1)
        for member_id in members
    ]
    # Each declaration also arrives a second time under another event id (a re-sent confirmation), and a
    # few messages are redelivered as is (a relay that lost its confirm).
    resent = [catalogue.example_envelope(CONFIRMED, **envelope.data) for envelope in declarations]
    workers, threads = start_workers(service, WORKERS)
    try:
        publish(service, declarations + resent + declarations[:5])
        handled = lambda: sum(w.stats["processed"] + w.stats["duplicates"] for w in workers)
        wait_until(lambda: handled() >= 2 * DECLARATIONS + 5)
    finally:
        for consumer in workers:
            consumer.stop()
        for thread in threads:
            thread.join(timeout=10)

    with service.portal.db.session_factory() as session:
        invoices = list(session.scalars(select(Invoice).order_by(Invoice.number)))
    assert sorted(invoice.declaration_id for invoice in invoices) == sorted(
        envelope.data["declaration_id"] for envelope in declarations
    )
    year = invoices[0].issued_on.year
    assert [invoice.number for invoice in invoices] == [f"F{year}-{rank:06d}" for rank in range(1, DECLARATIONS + 1)]
    # In commit order: a later invoice never holds a smaller number.
    assert [i.number for i in sorted(invoices, key=lambda i: i.created_at)] == [i.number for i in invoices]
    assert sum(1 for w in workers if w.stats["processed"] > 0) >= 2, "the workers did not share the queue"
    assert sum(w.stats["dead_lettered"] for w in workers) == 0
    issued = [e for e in service.events() if e.type == "billing.invoice.issued.v1"]
    assert len(issued) == DECLARATIONS
