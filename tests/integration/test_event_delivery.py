"""One business event end to end through the real RabbitMQ: never lost, never applied twice.

Members registers a company; identity, workforce, scheduling and billing consume it into their
own read models. The relay and consumers run in threads with their own connections.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import pika
import pytest

from portal_common.messaging import broker, catalogue
from portal_common.messaging.consumer import Subscription
from portal_common.testing import make_principal

from ..conftest import consumer_for, relay_for

pytestmark = pytest.mark.integration

REGISTERED = "members.member.registered.v1"
CONSUMERS = ("identity", "workforce", "scheduling", "billing")
SECRETARY = make_principal(staff_roles=("secretariat",))
SIRETS = ["73282932000074", "40483304800022", "55208131766522", "35600000009075", "35600000049837"]


def register(members, siret: str, name: str = "Entreprise") -> dict:
    response = members.client().post(
        "/api/members/members",
        headers=members.headers(SECRETARY),
        json={
            "name": name,
            "siret": siret,
            "address_line1": "1 rue de la Paix",
            "postal_code": "68100",
            "city": "Mulhouse",
            "adhesion_date": "2024-01-01",
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def processed(service, event_id: str) -> int:
    """How many times the service applied the event (the inbox row commits with the effect)."""
    inbox = service.portal.outbox.inbox
    with service.portal.db.session_factory() as session:
        return session.query(inbox).filter(inbox.c.event_id == event_id).count()


def wait_until(condition, timeout: float = 60.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def start_pipeline(services, running, consumers=CONSUMERS) -> dict:
    started = {}
    for name in consumers:
        consumer = consumer_for(services[name])
        running.start(consumer)
        started[name] = consumer
    for consumer in started.values():
        assert consumer.ready.wait(30), "consumer did not connect"
    running.start(relay_for(services["members"]))
    return started


def test_a_registered_member_reaches_every_consuming_service_once(clean_services, running):
    services = clean_services
    start_pipeline(services, running)
    member = register(services["members"], SIRETS[0], "Boulangerie Martin")
    [event] = services["members"].events()
    wait_until(lambda: all(processed(services[name], event.id) == 1 for name in CONSUMERS))
    directory = services["identity"].portal.db.session_factory()
    from identity.models import MemberDirectoryEntry

    with directory as db:
        assert db.get(MemberDirectoryEntry, member["id"]).name == "Boulangerie Martin"


def test_the_same_event_delivered_twice_has_one_effect(clean_services, running):
    services = clean_services
    consumers = start_pipeline(services, running)
    register(services["members"], SIRETS[0])
    [event] = services["members"].events()
    wait_until(lambda: all(processed(services[name], event.id) == 1 for name in CONSUMERS))
    # Re-publish the very same message, as a relay does when a confirm is lost.
    connection = broker.connect(services["members"].portal.settings.broker_url)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        "portal.events",
        REGISTERED,
        event.to_json().encode(),
        pika.BasicProperties(message_id=event.id, type=REGISTERED, delivery_mode=2),
        mandatory=True,
    )
    connection.close()
    wait_until(lambda: all(c.stats["duplicates"] >= 1 for c in consumers.values()), timeout=30)
    assert all(processed(services[name], event.id) == 1 for name in CONSUMERS)
    assert all(c.stats["processed"] == 1 for c in consumers.values())


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def test_with_the_broker_stopped_writes_continue_and_every_event_arrives_after_restart(clean_services, running):
    services = clean_services
    consumers = start_pipeline(services, running, consumers=("identity",))
    register(services["members"], SIRETS[0])
    wait_until(lambda: consumers["identity"].stats["processed"] == 1)
    rabbitmqctl("stop_app")
    try:
        for siret in SIRETS[1:]:
            register(services["members"], siret)  # the portal keeps accepting writes
        services["members"].app.extensions.pop("portal_broker_check", None)  # readiness caches its probe 5 s
        backlog = services["members"].client().get("/readyz").json
        assert backlog["checks"]["outbox"]["backlog"] >= 1
        assert "unreachable" in backlog["checks"]["broker"]
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")
    events = services["members"].events()
    assert len(events) == len(SIRETS)
    wait_until(lambda: all(processed(services["identity"], e.id) == 1 for e in events), timeout=90)
    with services["members"].portal.db.session_factory() as session:
        assert services["members"].portal.outbox.backlog(session)[0] == 0


def test_a_message_whose_handler_always_fails_is_dead_lettered_while_others_flow(clean_services, running):
    services = clean_services
    members = services["members"]
    queue = f"test.poison-{uuid.uuid4().hex[:8]}"
    applied = []

    def handler(session, event):
        if event.data["name"] == "POISON":
            raise RuntimeError("this handler always fails")
        applied.append(event.id)

    consumer = consumer_for(members, [Subscription(queue, {REGISTERED: handler})])
    running.start(consumer)
    assert consumer.ready.wait(30)
    running.start(relay_for(members))
    register(members, SIRETS[0], "POISON")
    for siret in SIRETS[1:]:
        register(members, siret, "Bonne entreprise")
    wait_until(lambda: len(applied) == len(SIRETS) - 1)
    max_attempts = members.portal.settings.max_attempts
    wait_until(lambda: consumer.stats["dead_lettered"] == 1, timeout=60)
    assert consumer.stats["retried"] == max_attempts - 1
    connection = broker.connect(members.portal.settings.broker_url)
    channel = connection.channel()
    method, properties, body = channel.basic_get(f"{queue}.dlq", auto_ack=True)
    connection.close()
    assert json.loads(body)["data"]["name"] == "POISON"
    assert properties.headers["x-portal-attempt"] == max_attempts
    assert "RuntimeError" in properties.headers["x-portal-error"]
    catalogue.validate(json.loads(body))
