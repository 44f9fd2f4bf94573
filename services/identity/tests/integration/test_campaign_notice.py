"""When workforce opens a campaign, identity e-mails each company's administrators who accept that news."""

import pytest

from identity.accounts import use_cases as accounts
from identity.preferences import use_cases as preferences
from identity.worker import subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
GARAGE = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"


def deliver_opening(service):
    consumer = Consumer(
        service="identity",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    event = catalogue.example_envelope("workforce.campaign.opened.v1", year=2027, deadline="2027-03-31")
    with service.app.app_context():
        assert consumer.process("identity.notices", event)
        consumer.process("identity.notices", event)  # a redelivery sends nothing twice


def test_each_companys_administrators_hear_of_the_opening_unless_they_declined_it(
    service, pages, owner, member_id, smtp
):
    pages.register_member(GARAGE, "1000002", "Garage du Centre")
    chief = accounts.create_user(service.portal, email="chef@garage.fr", display_name="Chef", password=PASSWORD)
    accounts.link_member(service.portal, user_id=chief.id, member_id=GARAGE, roles=("admin",))
    reader = accounts.create_user(service.portal, email="lecture@garage.fr", display_name="Lu", password=PASSWORD)
    accounts.link_member(service.portal, user_id=reader.id, member_id=GARAGE, roles=("read",))
    firm = accounts.create_user(service.portal, email="cabinet@fiducia.fr", display_name="Fiducia", password=PASSWORD)
    accounts.link_member(service.portal, user_id=firm.id, member_id=GARAGE, roles=("declaration",), kind="delegate")
    preferences.save(service.portal, chief.id, ["access", "change_requests"])  # declined the campaign news
    deliver_opening(service)
    assert service.deliver_mail() == 1
    [mail] = [m for m in smtp.messages if "campagne est ouverte" in m["Subject"]]
    assert mail["To"] == "chef@boulangerie.fr"
    assert "Boulangerie Martin" in mail.get_content() and "31/03/2027" in mail.get_content()
    assert "/salaries/declarations/2027" in mail.get_content()


def test_an_administrator_who_is_a_declaration_contact_gets_only_workforces_email(service, pages, owner, smtp):
    snapshot = catalogue.example_envelope(
        "members.member.updated.v1",
        member_id=GARAGE,
        member_number="1000002",
        name="Garage du Centre",
        version=2,
        contacts=[{"kind": "responsable_rh", "name": "Chef", "email": "Chef@Garage.fr"}],
    )
    consumer = Consumer(
        service="identity",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    with service.app.app_context():
        assert consumer.process("identity.member-directory", snapshot)
    for email in ("chef@garage.fr", "associe@garage.fr"):
        user = accounts.create_user(service.portal, email=email, display_name=email, password=PASSWORD)
        accounts.link_member(service.portal, user_id=user.id, member_id=GARAGE, roles=("admin",))
    deliver_opening(service)
    service.deliver_mail()
    garage = [m["To"] for m in smtp.messages if "campagne est ouverte" in m["Subject"] and "garage" in m["To"]]
    assert garage == ["associe@garage.fr"]  # the HR contact hears of it from workforce, once
