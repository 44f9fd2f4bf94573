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


@pytest.fixture
def clean_services(services) -> Iterator[dict]:
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
