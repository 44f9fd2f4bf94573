"""No-show fees from scheduling, late-hire fees from workforce: exact amounts, once per fact."""

import threading
import uuid

import pytest
from sqlalchemy import select

from billing.invoices.handlers import on_declaration_confirmed
from billing.models import Invoice
from billing.worker import DECLARATIONS_QUEUE, LATE_HIRES_QUEUE, NO_SHOWS_QUEUE, subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer, PermanentError
from portal_common.messaging.envelope import Envelope

pytestmark = pytest.mark.integration

APPOINTMENT = "3d2c1b0a-9f8e-4d7c-b6a5-0f1e2d3c4b5a"


def consumer_of(service):
    return Consumer(
        service="billing",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


def missed(member_id, appointment_id=APPOINTMENT, starts_at="2026-03-12T13:00:00Z"):
    envelope = Envelope.new(
        "scheduling.appointment.missed.v1",
        producer="scheduling",
        subject=appointment_id,
        member_id=member_id,
        data={
            "appointment_id": appointment_id,
            "member_id": member_id,
            "employee_id": "0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12",
            "starts_at": starts_at,
            "visit_type": "periodique",
            "version": 3,
        },
    )
    catalogue.validate(envelope)
    return envelope


def hired(member_id, hire_date, employee_id=None):
    employee_id = employee_id or str(uuid.uuid4())
    envelope = Envelope.new(
        "workforce.employee.hired.v1",
        producer="workforce",
        subject=employee_id,
        member_id=member_id,
        data={
            "employee_id": employee_id,
            "member_id": member_id,
            "last_name": "DUPONT",
            "birth_name": "DUPONT",
            "first_names": "Marie",
            "birth_date": "1985-08-14",
            "hire_date": hire_date,
            "post": "Vendeuse",
            "contract": "CDI",
            "monitoring_category": "SIA",
            "version": 1,
        },
    )
    catalogue.validate(envelope)
    return envelope


def confirmed(member_id, confirmed_at="2026-01-20T09:30:00Z"):
    declaration_id = str(uuid.uuid4())
    return Envelope.new(
        "workforce.declaration.confirmed.v1",
        producer="workforce",
        subject=declaration_id,
        member_id=member_id,
        data={
            "declaration_id": declaration_id,
            "member_id": member_id,
            "year": 2026,
            "headcount": {"SI": 2, "SIA": 0, "SIR": 0},
            "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0},
            "confirmed_at": confirmed_at,
            "version": 1,
        },
    )


def invoices_of(service, kind):
    with service.portal.db.session_factory() as session:
        found = list(session.scalars(select(Invoice).where(Invoice.kind == kind).order_by(Invoice.number)))
        for invoice in found:
            list(invoice.lines), list(invoice.instalments)
        return found


def test_an_unexcused_missed_appointment_is_billed_the_no_show_fee_once(service, customers, tariff_2026):
    member_a, _ = customers
    consumer, event = consumer_of(service), missed(member_a)
    assert consumer.process(NO_SHOWS_QUEUE, event) is True
    assert consumer.process(NO_SHOWS_QUEUE, event) is False
    assert consumer.process(NO_SHOWS_QUEUE, missed(member_a)) is True  # re-published: nothing more
    [invoice] = invoices_of(service, "absence")
    assert [(line.label, str(line.amount)) for line in invoice.lines] == [
        ("Absence non excusée au rendez-vous du 12/03/2026 à 14:00", "50.00")
    ]
    assert (invoice.member_id, str(invoice.amount_excl_tax), str(invoice.amount_incl_tax), invoice.period) == (
        member_a,
        "50.00",
        "60.00",
        "2026",
    )
    assert len(invoice.instalments) == 1  # due at once
    [event] = service.events()
    catalogue.validate(event)
    assert (event.type, event.data["kind"], event.member_id) == ("billing.invoice.issued.v1", "absence", member_a)


def test_a_no_show_waits_for_the_tariff_and_a_malformed_one_is_dead_lettered(service, customers):
    member_a, _ = customers
    consumer = consumer_of(service)
    with pytest.raises(Exception, match="no tariff for 2026"):
        consumer.process(NO_SHOWS_QUEUE, missed(member_a))
    bad = Envelope.new(
        "scheduling.appointment.missed.v1",
        producer="scheduling",
        subject="x",
        member_id=member_a,
        data={"appointment_id": APPOINTMENT, "member_id": member_a, "starts_at": "demain"},
    )
    with pytest.raises(PermanentError):
        consumer.process(NO_SHOWS_QUEUE, bad)
    assert invoices_of(service, "absence") == []


def test_a_hire_after_1_january_of_a_declared_year_is_billed_the_late_hire_fee_once(service, customers, tariff_2026):
    member_a, _ = customers
    consumer = consumer_of(service)
    consumer.process(DECLARATIONS_QUEUE, confirmed(member_a, confirmed_at="2026-01-20T09:30:00Z"))
    late = hired(member_a, "2026-03-02")
    assert consumer.process(LATE_HIRES_QUEUE, late) is True
    assert consumer.process(LATE_HIRES_QUEUE, late) is False
    again = Envelope.new(late.type, producer="workforce", subject=late.subject, member_id=member_a, data=late.data)
    assert consumer.process(LATE_HIRES_QUEUE, again) is True
    # Hired on 1 January: in the declaration's headcount. Hired in a year without declaration: nothing apart.
    consumer.process(LATE_HIRES_QUEUE, hired(member_a, "2026-01-01"))
    consumer.process(LATE_HIRES_QUEUE, hired(member_a, "2025-11-03"))
    # Hired before the confirmation but after 1 January: the declaration did not count that employee either.
    consumer.process(LATE_HIRES_QUEUE, hired(member_a, "2026-01-10"))
    march, january = invoices_of(service, "embauche")
    assert [(line.label, str(line.quantity), str(line.unit_price)) for line in march.lines] == [
        ("Embauche après la déclaration 2026 : DUPONT Marie entré(e) le 02/03/2026 (SIA)", "1.00", "97.35")
    ]
    assert (march.member_id, str(march.amount_incl_tax)) == (member_a, "116.82")
    assert january.lines[0].label == "Embauche après la déclaration 2026 : DUPONT Marie entré(e) le 10/01/2026 (SIA)"
    assert [e.data["kind"] for e in service.events()] == ["cotisation", "embauche", "embauche"]
    # The line names whom it bills (the company must recognise the hire); its event does not.
    assert "DUPONT" not in str(service.events()[-1].data)


def test_a_hire_arriving_before_the_companys_declaration_is_billed_when_the_declaration_arrives(
    service, customers, tariff_2026
):
    member_a, _ = customers
    consumer = consumer_of(service)
    # During the rush the hire overtakes the declaration, confirmed earlier but still queued.
    assert consumer.process(LATE_HIRES_QUEUE, hired(member_a, "2026-01-25")) is True
    consumer.process(LATE_HIRES_QUEUE, hired(member_a, "2026-01-01"))
    assert invoices_of(service, "embauche") == []
    declaration = confirmed(member_a, confirmed_at="2026-01-20T09:30:00Z")
    consumer.process(DECLARATIONS_QUEUE, declaration)
    [late] = invoices_of(service, "embauche")
    assert late.lines[0].label == "Embauche après la déclaration 2026 : DUPONT Marie entré(e) le 25/01/2026 (SIA)"
    # Delivered again, the declaration bills no hire twice.
    again = Envelope.new(
        declaration.type, producer="workforce", subject=declaration.subject, member_id=member_a, data=declaration.data
    )
    consumer.process(DECLARATIONS_QUEUE, again)
    assert len(invoices_of(service, "embauche")) == 1
    assert [e.data["kind"] for e in service.events()] == ["cotisation", "embauche"]


def test_a_hire_handled_while_the_declaration_is_being_invoiced_waits_for_it_and_is_billed(
    service, customers, tariff_2026
):
    member_a, _ = customers
    hire = hired(member_a, "2026-01-25")
    worker = threading.Thread(target=consumer_of(service).process, args=(LATE_HIRES_QUEUE, hire))
    with service.portal.db.session_factory() as session:
        on_declaration_confirmed(session, confirmed(member_a))  # invoiced, not yet committed
        worker.start()
        worker.join(timeout=1.0)  # the other worker takes the hire meanwhile
        session.commit()
    worker.join()
    [late] = invoices_of(service, "embauche")
    assert late.lines[0].label == "Embauche après la déclaration 2026 : DUPONT Marie entré(e) le 25/01/2026 (SIA)"
