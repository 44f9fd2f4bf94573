"""A corrected outcome reverses the first outcome's billing: an unexcused absence corrected to « réalisée » or
« absent excusé » has its no-show fee cancelled by a credit note (ledger back to zero), a visit corrected to an
unexcused absence is billed the fee. Outcomes apply in scheduling's version order, once, whatever the delivery:
twice, re-published, or a missed event arriving after its correction. On PostgreSQL and on SQLite."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from billing.app import create_app
from billing.customers.use_cases import seed_customer
from billing.ledger.queries import account_in
from billing.models import AppointmentOutcome, Invoice
from billing.tariffs.use_cases import save_tariff
from billing.worker import NO_SHOWS_QUEUE, subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer, PermanentError
from portal_common.messaging.envelope import Envelope
from portal_common.migrations import upgrade

from ..conftest import TARIFF_2026

pytestmark = pytest.mark.integration

SERVICE_DIR = Path(__file__).resolve().parents[2]
APPOINTMENT = "3d2c1b0a-9f8e-4d7c-b6a5-0f1e2d3c4b5a"
EMPLOYEE = "0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12"
STARTS_AT = "2026-03-12T13:00:00Z"


def consumer_of(portal):
    return Consumer(
        service="billing",
        db=portal.db,
        outbox=portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(portal.settings),
    )


def appointment(member_id, version):
    return {
        "appointment_id": APPOINTMENT,
        "member_id": member_id,
        "employee_id": EMPLOYEE,
        "starts_at": STARTS_AT,
        "visit_type": "periodique",
        "version": version,
    }


def missed(member_id, version=2):
    return envelope("scheduling.appointment.missed.v1", member_id, appointment(member_id, version))


def corrected(member_id, previous, status, version):
    data = appointment(member_id, version) | {"previous_status": previous, "status": status}
    return envelope("scheduling.appointment.outcome_corrected.v1", member_id, data)


def envelope(event_type, member_id, data):
    built = Envelope.new(event_type, producer="scheduling", subject=APPOINTMENT, member_id=member_id, data=data)
    catalogue.validate(built)
    return built


def no_show_documents(portal):
    """The appointment's fees and the credit notes cancelling them, oldest first: (kind, source key, TTC)."""
    with portal.db.session_factory() as session:
        return [
            (invoice.kind, invoice.source_key, str(invoice.amount_incl_tax), invoice.cancelled_by_id is not None)
            for invoice in session.scalars(select(Invoice).order_by(Invoice.number))
        ]


def balance(portal, member_id):
    with portal.db.session_factory() as session:
        return account_in(session, member_id).balance


def applied(portal):
    with portal.db.session_factory() as session:
        row = session.get(AppointmentOutcome, APPOINTMENT)
        return (row.status, row.version) if row else None


def check_absence_corrected_to_realised_is_cancelled_once(portal, member_id):
    consumer = consumer_of(portal)
    assert consumer.process(NO_SHOWS_QUEUE, missed(member_id)) is True
    assert balance(portal, member_id) == Decimal("60.00")
    correction = corrected(member_id, "absent_non_excuse", "realisee", 3)
    assert consumer.process(NO_SHOWS_QUEUE, correction) is True
    assert consumer.process(NO_SHOWS_QUEUE, correction) is False  # the inbox: delivered twice
    assert consumer.process(NO_SHOWS_QUEUE, corrected(member_id, "absent_non_excuse", "realisee", 3)) is True
    assert consumer.process(NO_SHOWS_QUEUE, missed(member_id)) is True  # the missed event re-published, late
    [fee, note] = no_show_documents(portal)
    assert fee[:3] == ("absence", f"no_show:{APPOINTMENT}", "60.00") and fee[3] is True
    assert note[:3] == ("avoir", f"no_show_cancelled:{_fee_id(portal)}", "-60.00")
    assert balance(portal, member_id) == Decimal("0.00")
    assert applied(portal) == ("realisee", 3)


def _fee_id(portal):
    with portal.db.session_factory() as session:
        return session.scalar(select(Invoice.id).where(Invoice.kind == "absence"))


def test_an_absence_corrected_to_realised_has_its_fee_cancelled_by_one_credit_note_under_any_delivery(
    service, customers, tariff_2026
):
    member_a, _ = customers
    check_absence_corrected_to_realised_is_cancelled_once(service.portal, member_a)
    with service.portal.db.session_factory() as session:
        note = session.scalars(select(Invoice).where(Invoice.kind == "avoir")).one()
        assert [line.label for line in note.lines] == [
            f"Annulation de la facture {session.scalar(select(Invoice.number).where(Invoice.kind == 'absence'))} : "
            "absence corrigée par le service : Absence non excusée au rendez-vous du 12/03/2026 à 14:00"
        ]
    issued = [(e.type, e.data.get("kind") or e.data.get("reason")) for e in service.events()]
    assert issued == [("billing.invoice.issued.v1", "absence"), ("billing.credit_note.issued.v1", "correction")]
    for event in service.events():
        catalogue.validate(event)


def test_an_absence_corrected_to_excused_is_cancelled_too(service, customers, tariff_2026):
    member_a, _ = customers
    consumer = consumer_of(service.portal)
    consumer.process(NO_SHOWS_QUEUE, missed(member_a))
    consumer.process(NO_SHOWS_QUEUE, corrected(member_a, "absent_non_excuse", "absent_excuse", 3))
    assert [d[0] for d in no_show_documents(service.portal)] == ["absence", "avoir"]
    assert balance(service.portal, member_a) == Decimal("0.00")


def test_a_missed_event_arriving_after_its_correction_bills_nothing(service, customers, tariff_2026):
    member_a, _ = customers
    consumer = consumer_of(service.portal)
    assert consumer.process(NO_SHOWS_QUEUE, corrected(member_a, "absent_non_excuse", "realisee", 3)) is True
    assert consumer.process(NO_SHOWS_QUEUE, missed(member_a, version=2)) is True
    assert no_show_documents(service.portal) == []
    assert applied(service.portal) == ("realisee", 3)


def test_a_realised_visit_corrected_to_an_unexcused_absence_is_billed_and_back_and_forth_follows_the_last(
    service, customers, tariff_2026
):
    member_a, _ = customers
    consumer = consumer_of(service.portal)
    assert consumer.process(NO_SHOWS_QUEUE, corrected(member_a, "realisee", "absent_non_excuse", 3)) is True
    assert [d[:3] for d in no_show_documents(service.portal)] == [("absence", f"no_show:{APPOINTMENT}", "60.00")]
    consumer.process(NO_SHOWS_QUEUE, corrected(member_a, "absent_non_excuse", "realisee", 4))
    consumer.process(NO_SHOWS_QUEUE, corrected(member_a, "realisee", "absent_non_excuse", 5))
    consumer.process(NO_SHOWS_QUEUE, corrected(member_a, "realisee", "absent_non_excuse", 5))  # re-published
    documents = no_show_documents(service.portal)
    assert [d[0] for d in documents] == ["absence", "avoir", "absence"]
    assert documents[2][1] == f"no_show:{APPOINTMENT}:5" and documents[2][3] is False
    assert balance(service.portal, member_a) == Decimal("60.00")


def test_an_excused_absence_corrected_to_realised_bills_and_cancels_nothing(service, customers, tariff_2026):
    member_a, _ = customers
    consumer_of(service.portal).process(NO_SHOWS_QUEUE, corrected(member_a, "absent_excuse", "realisee", 3))
    assert no_show_documents(service.portal) == [] and service.events() == []


def test_a_correction_to_an_unknown_outcome_is_dead_lettered(service, customers, tariff_2026):
    member_a, _ = customers
    bad = Envelope.new(
        "scheduling.appointment.outcome_corrected.v1",
        producer="scheduling",
        subject=APPOINTMENT,
        member_id=member_a,
        data=appointment(member_a, 3) | {"previous_status": "absent_non_excuse", "status": "annulee"},
    )
    with pytest.raises(PermanentError):
        consumer_of(service.portal).process(NO_SHOWS_QUEUE, bad)
    assert applied(service.portal) is None


@pytest.fixture
def sqlite_billing(portal_env, tmp_path, snapshot):
    url = f"sqlite:///{tmp_path}/billing.db"
    upgrade(SERVICE_DIR, url)
    app = create_app(environ=portal_env.environ("billing", url))
    portal = app.extensions["portal"]
    seed_customer(portal, snapshot())
    save_tariff(portal, TARIFF_2026, by="test")
    yield portal, snapshot().member_id
    portal.db.dispose()


def test_on_sqlite_an_absence_corrected_to_realised_has_its_fee_cancelled_once(sqlite_billing):
    portal, member_id = sqlite_billing
    check_absence_corrected_to_realised_is_cancelled_once(portal, member_id)
