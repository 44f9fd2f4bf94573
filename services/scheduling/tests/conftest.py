"""Fixtures of the scheduling service tests: a migrated PostgreSQL database and the directory consumer."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.testing import service_fixtures
from scheduling.app import create_app
from scheduling.worker import DIRECTORY_QUEUE, subscriptions

SERVICE_DIR = Path(__file__).resolve().parents[1]
scheduling_service, service = service_fixtures("scheduling", create_app, SERVICE_DIR)


@pytest.fixture
def consumer(service):
    """The directory consumer without a broker: `process` runs the handler and the inbox as the worker does."""
    return Consumer(
        service="scheduling",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


@pytest.fixture
def process(service, consumer):
    """Runs the handler as the worker does: inside the app context, where the configured periods live."""

    def _process(envelope):
        with service.app.app_context():
            return consumer.process(DIRECTORY_QUEUE, envelope)

    return _process


@pytest.fixture
def deliver(process):
    """Delivers one catalogue example event (data overridden) to the directory queue; returns the envelope."""

    def _deliver(event_type: str, **data):
        envelope = catalogue.example_envelope(event_type, **data)
        process(envelope)
        return envelope

    return _deliver


@pytest.fixture
def directory(deliver):
    """Two companies known through their events: A with two employees, B with one."""
    ids = {
        "member_a": "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01",
        "member_b": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "dupont": "0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12",
        "bernard": "1c6f9a1b-4d2e-4b9f-a2c3-7e8d9f0a1b23",
        "keller": "2d7a0b2c-5e3f-4cab-b3d4-8f9e0a1b2c34",
    }
    deliver("members.member.registered.v1", member_id=ids["member_a"])
    deliver(
        "members.member.registered.v1",
        member_id=ids["member_b"],
        member_number="1000002",
        siret="35600000009075",
        name="Garage Keller",
        email=None,
    )
    deliver(
        "workforce.employee.hired.v1",
        employee_id=ids["dupont"],
        member_id=ids["member_a"],
        last_name="MARTIN",
        birth_name="DUPONT",
        first_names="Marie Claire",
        birth_date="1985-08-14",
    )
    deliver(
        "workforce.employee.hired.v1",
        employee_id=ids["bernard"],
        member_id=ids["member_a"],
        last_name="BERNARD",
        birth_name="BERNARD",
        first_names="Louis",
        birth_date="1990-02-03",
    )
    deliver(
        "workforce.employee.hired.v1",
        employee_id=ids["keller"],
        member_id=ids["member_b"],
        last_name="KELLER",
        birth_name="KELLER",
        first_names="Jean",
        birth_date="1972-11-30",
    )
    return type("Directory", (), ids)
