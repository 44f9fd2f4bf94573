"""Fixtures for cross-service tests: every service on its own PostgreSQL database, one vhost."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal_common.messaging.consumer import Consumer
from portal_common.messaging.relay import Relay

ROOT = Path(__file__).resolve().parents[1]
SERVICE_NAMES = ("identity", "members", "workforce", "scheduling", "billing")


@pytest.fixture(scope="session")
def services(portal_env) -> dict:
    """Each service app, migrated on its own database of this run."""
    built = {}
    for name in SERVICE_NAMES:
        create_app = importlib.import_module(f"{name}.app").create_app
        built[name] = portal_env.service(name, create_app, ROOT / "services" / name)
    return built


def purge_queues(services) -> None:  # type: ignore[no-untyped-def]
    """Empty every consuming queue of the run's vhost (and its retry queue): events an earlier test published and
    left unconsumed must not reach this test's consumers (a registration of member number 1000001 under another id,
    delivered before this test's own, made identity dead-letter the second)."""
    from pika.exceptions import ChannelClosedByBroker

    from portal_common.messaging import broker

    any_service = next(iter(services.values()))
    connection = broker.connect(any_service.portal.settings.broker_url, name="test-purge")
    try:
        for name, service in services.items():
            worker = importlib.import_module(f"{name}.worker")
            for subscription in worker.subscriptions(service.portal.settings):
                for queue in (subscription.queue, f"{subscription.queue}.retry"):
                    channel = connection.channel()
                    try:
                        channel.queue_purge(queue)
                        channel.close()
                    except ChannelClosedByBroker:  # not declared yet in this run: nothing to purge
                        pass
    finally:
        connection.close()


@pytest.fixture
def clean_services(services) -> Iterator[dict]:
    """Every service's tables and queues empty before, tables after: a test on the shared `services` may have
    left rows or unconsumed events."""
    for service in services.values():
        service.truncate()
    purge_queues(services)
    yield services
    for service in services.values():
        service.truncate()


class Running:
    """Relays and consumers running in threads, each with its own connections (pika is not thread-safe)."""

    def __init__(self) -> None:
        self.parts: list = []
        self.threads: list[threading.Thread] = []

    def start(self, part, app=None) -> None:  # type: ignore[no-untyped-def]
        """Run `part` in a thread; with `app`, inside its application context as the worker process does."""

        def target() -> None:
            if app is None:
                part.run_forever()
                return
            with app.app_context():
                part.run_forever()

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self.parts.append(part)
        self.threads.append(thread)

    def stop(self) -> None:
        for part in self.parts:
            part.stop()
        for thread in self.threads:
            thread.join(timeout=15)


@pytest.fixture
def running() -> Iterator[Running]:
    handle = Running()
    yield handle
    handle.stop()


def relay_for(service) -> Relay:  # type: ignore[no-untyped-def]
    settings = service.portal.settings
    return Relay(
        service.portal.db,
        settings.broker_url,
        settings.exchange,
        service=service.name,
        poll_seconds=0.05,
        retry_delay_ms=settings.retry_delay_ms,
    )


def consumer_for(service, subscriptions=None) -> Consumer:  # type: ignore[no-untyped-def]
    settings = service.portal.settings
    if subscriptions is None:
        subscriptions = importlib.import_module(f"{service.name}.worker").subscriptions(settings)
    return Consumer(
        service=service.name,
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url=settings.broker_url,
        exchange=settings.exchange,
        subscriptions=subscriptions,
        prefetch=settings.consumer_prefetch,
        max_attempts=settings.max_attempts,
        retry_delay_ms=settings.retry_delay_ms,
    )
