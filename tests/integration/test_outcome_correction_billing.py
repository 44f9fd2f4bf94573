"""A no-show fee reversed end to end through the real RabbitMQ: staff note an unexcused absence on scheduling's
API, billing issues the fee; staff correct it to « réalisée », billing cancels the fee with one credit note, and
the correction delivered again by the broker changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pika
import pytest
from sqlalchemy import select

from billing.customers.rules import CustomerSnapshot
from billing.customers.use_cases import seed_customer
from billing.ledger.queries import account_in
from billing.models import Invoice
from billing.tariffs.rules import Tariff
from billing.tariffs.use_cases import save_tariff
from portal_common.clock import PARIS, utcnow
from portal_common.messaging import broker, catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.testing import make_principal
from scheduling.appointments.rules import Place, ScheduleCommand
from scheduling.appointments.use_cases import schedule_appointment
from scheduling.worker import DIRECTORY_QUEUE
from scheduling.worker import subscriptions as scheduling_subscriptions

from ..conftest import consumer_for, relay_for
from .test_event_delivery import processed, wait_until

pytestmark = pytest.mark.integration

MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
EMPLOYEE = "0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12"
SECRETARY = make_principal(staff_roles=("secretariat",), display_name="Sophie Lambert")
CORRECTED = "scheduling.appointment.outcome_corrected.v1"


def known_everywhere(services, year: int) -> None:
    """The company and its employee in scheduling's directory, the company and the year's tariff in billing."""
    scheduling = services["scheduling"]
    directory = Consumer(
        service="scheduling",
        db=scheduling.portal.db,
        outbox=scheduling.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=scheduling_subscriptions(scheduling.portal.settings),
    )
    with scheduling.app.app_context():
        directory.process(DIRECTORY_QUEUE, catalogue.example_envelope("members.member.registered.v1", member_id=MEMBER))
        directory.process(
            DIRECTORY_QUEUE,
            catalogue.example_envelope("workforce.employee.hired.v1", employee_id=EMPLOYEE, member_id=MEMBER),
        )
    billing = services["billing"].portal
    seed_customer(
        billing,
        CustomerSnapshot(
            member_id=MEMBER,
            member_number="1000001",
            name="Boulangerie Martin",
            siret="73282932000074",
            address_line1="12 rue de la Gare",
            address_line2=None,
            postal_code="68100",
            city="MULHOUSE",
            billing_email="compta@boulangerie-martin.fr",
            status="active",
            version=1,
        ),
    )
    save_tariff(
        billing,
        Tariff(
            year=year,
            per_capita_fee=Decimal("97.35"),
            national_average_cost=None,
            entry_fee=Decimal("30.00"),
            minimum_fee=Decimal("150.00"),
            late_hire_fee=Decimal("97.35"),
            no_show_fee=Decimal("50.00"),
        ),
        by="test",
    )


def documents(billing):
    with billing.portal.db.session_factory() as session:
        return [(i.kind, str(i.amount_incl_tax)) for i in session.scalars(select(Invoice).order_by(Invoice.number))]


def test_a_corrected_absence_has_its_no_show_fee_cancelled_once_through_the_broker(clean_services, running):
    services = clean_services
    scheduling, billing = services["scheduling"], services["billing"]
    starts_at = utcnow() - timedelta(days=2)
    known_everywhere(services, starts_at.astimezone(PARIS).year)
    visit = schedule_appointment(
        scheduling.portal,
        ScheduleCommand(
            member_id=MEMBER,
            employee_id=EMPLOYEE,
            starts_at=starts_at,
            duration_minutes=30,
            visit_type="periodique",
            place=Place("Centre médical de Mulhouse", "4 rue des Fabriques, 68100 Mulhouse"),
            professional_kind="infirmier",
            status="convoquee",
            allow_past=True,
        ),
    )
    consumer = consumer_for(billing)
    running.start(consumer)
    assert consumer.ready.wait(30), "billing's consumer did not connect"
    running.start(relay_for(scheduling))
    api, staff = scheduling.client(), scheduling.headers(SECRETARY)

    noted = api.post(
        f"/api/scheduling/appointments/{visit.id}/outcome", headers=staff, json={"status": "absent_non_excuse"}
    )
    assert noted.status_code == 200, noted.json
    wait_until(lambda: documents(billing) == [("absence", "60.00")])

    fixed = api.post(
        f"/api/scheduling/appointments/{visit.id}/outcome-correction",
        headers=staff,
        json={
            "status": "realisee",
            "reason": "Présent : feuille d'émargement signée",
            "version": noted.json["version"],
        },
    )
    assert fixed.status_code == 200, fixed.json
    wait_until(lambda: documents(billing) == [("absence", "60.00"), ("avoir", "-60.00")])
    [correction] = [e for e in scheduling.events() if e.type == CORRECTED]
    assert "reason" not in correction.data

    # The broker delivers the correction again (a relay whose confirm was lost): the inbox keeps it to one effect.
    connection = broker.connect(scheduling.portal.settings.broker_url)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        scheduling.portal.settings.exchange,
        CORRECTED,
        correction.to_json().encode(),
        pika.BasicProperties(message_id=correction.id, type=CORRECTED, delivery_mode=2),
        mandatory=True,
    )
    connection.close()
    wait_until(lambda: consumer.stats["duplicates"] >= 1, timeout=30)
    assert processed(billing, correction.id) == 1
    assert documents(billing) == [("absence", "60.00"), ("avoir", "-60.00")]
    with billing.portal.db.session_factory() as session:
        assert account_in(session, MEMBER).balance == Decimal("0.00")
