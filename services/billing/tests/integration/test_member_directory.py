"""Billing's read model of member companies, fed by members.member.registered.v1."""

import pytest

from billing.customers.use_cases import seed_customer
from billing.models import BillingCustomer
from billing.worker import MEMBER_DIRECTORY_QUEUE, subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer

pytestmark = pytest.mark.integration

MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"


def consumer_of(service):
    return Consumer(
        service="billing",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


def registered(**overrides):
    return catalogue.example_envelope("members.member.registered.v1", member_id=MEMBER, **overrides)


def stored_customer(service):
    with service.portal.db.session_factory() as session:
        return session.get(BillingCustomer, MEMBER)


def test_members_and_declarations_arrive_on_their_own_queues_the_declarations_one_watched_by_the_autoscaler(service):
    assert MEMBER_DIRECTORY_QUEUE == "billing.member-directory"
    assert [s.queue for s in subscriptions(service.portal.settings)] == [
        "billing.member-directory",
        "billing.headcount-declarations",
        "billing.campaign-closings",
        "billing.no-shows",
        "billing.late-hires",
    ]


def test_a_registered_member_is_remembered_once_even_when_delivered_twice(service):
    consumer = consumer_of(service)
    event = registered()
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, event) is True
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, event) is False
    customer = stored_customer(service)
    assert (customer.name, customer.member_number, customer.city, customer.billing_email, customer.version) == (
        "Boulangerie Martin",
        "1000001",
        "MULHOUSE",
        "compta@boulangerie-martin.fr",
        1,
    )
    assert service.events() == []  # the read model publishes nothing


def test_an_older_version_arriving_late_does_not_overwrite_a_newer_one(service):
    consumer = consumer_of(service)
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, registered(name="Boulangerie Martin & Fils", version=2))
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, registered(name="Boulangerie Martin", version=1))
    assert (stored_customer(service).name, stored_customer(service).version) == ("Boulangerie Martin & Fils", 2)
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, registered(name="Boulangerie Martin SARL", version=3))
    assert stored_customer(service).name == "Boulangerie Martin SARL"


def test_the_event_of_a_customer_seeded_by_the_demo_changes_nothing(service, snapshot):
    seed_customer(service.portal, snapshot(MEMBER, name="Boulangerie (démo)"))
    assert consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, registered()) is True
    assert stored_customer(service).name == "Boulangerie (démo)"
    assert seed_customer(service.portal, snapshot(MEMBER, name="Autre", version=5)) is False
    assert stored_customer(service).name == "Boulangerie (démo)"
