"""SEPA direct debit: the mandate from members' events, the discount, pre-notifications at least 14 days
ahead, and the pain.008 batch (FRST then RCUR) built with the IBAN read from the real members service."""
import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sepaxml
import xmlschema
from sqlalchemy import select, text

from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.testing import make_principal

from billing import services, sepa_services
from billing.payments import PaymentInput
from billing.annual import Declaration
from billing.handlers import MEMBER_DIRECTORY_QUEUE, SUBSCRIPTIONS
from billing.models import BillingCustomer, Invoice, Payment, SepaDebit
from billing.sepa import SepaBatchError

pytestmark = pytest.mark.integration

IBAN = "FR76 3000 6000 0112 3456 7890 189"
NBSP, NNBSP = "\u00a0", "\u202f"
PAIN_XSD = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.008.001.02.xsd")


def consumer_of(service):
    return Consumer(service="billing", db=service.portal.db, outbox=service.portal.outbox,
                    broker_url="amqp://unused", exchange="portal.events", subscriptions=SUBSCRIPTIONS)


def sign_mandate_at_members(members, member_id):
    """The company registers and signs its mandate at members, staff validate it: members publishes the event."""
    from members import services as member_services
    from members.domain import Registration

    member_services.register_member(members.portal, Registration(
        name="Boulangerie Martin", siret="73282932000074", naf_code="10.71C", address_line1="12 rue de la Gare",
        address_line2=None, postal_code="68100", city="Mulhouse", email="contact@example.fr",
        phone="03 89 12 34 56", billing_email="compta@boulangerie-martin.fr", adhesion_date=date(2015, 3, 1)),
        member_id=member_id, member_number="1000001")
    client = members.client()
    admin = members.headers(make_principal(member_id=member_id, roles=("admin",), grants=("step_up",)))
    staff = members.headers(make_principal(staff_roles=("secretariat",)))
    signed = client.post(f"/api/members/members/{member_id}/sepa-mandate", headers=admin, json={
        "iban": IBAN, "holder": "Boulangerie Martin", "email": "compta@boulangerie-martin.fr", "consent": True})
    assert signed.status_code == 201, signed.json
    [request] = client.get("/api/members/change-requests", headers=staff).json
    assert client.post(f"/api/members/change-requests/{request['id']}/approve", json={},
                       headers=staff).status_code == 200
    [event] = [e for e in members.events() if e.type == "members.sepa_mandate.signed.v1"]
    return event


def invoice_declaration(service, member_id, declaration_id):
    """12 employees followed (SI) in 2026, invoiced as the declarations consumer does."""
    with service.portal.db.session_factory() as session:
        invoice = services.invoice_declaration(session, Declaration(
            declaration_id=declaration_id, member_id=member_id, year=2026, headcount={"SI": 12, "SIA": 0, "SIR": 0},
            multi_employer={"SI": 0, "SIA": 0, "SIR": 0}, version=1))
        session.commit()
        return invoice.id


def stored(service, model, **where):
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(model).filter_by(**where)))


def sequence_types(document: bytes) -> list[str]:
    return re.findall(rb"<SeqTp>([A-Z]{4})</SeqTp>", document)


def test_a_signed_mandate_brings_the_discount_prenotifications_and_a_valid_pain008_first_then_recurring(
        service, customers, members, tariff_2026, portal_env):
    member_a, member_b = customers
    event = sign_mandate_at_members(members, member_a)
    assert consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, event) is True
    [customer] = stored(service, BillingCustomer, member_id=member_a)
    assert (customer.mandate_status, customer.mandate_reference) == ("active", event.data["mandate_reference"])

    with_mandate = invoice_declaration(service, member_a, "0b7e4c2a-9d1f-4e3b-8a6c-5d4e3f2a1b0c")
    without = invoice_declaration(service, member_b, "1c8f5d3b-0e2a-4f4c-9b7d-6e5f4a3b2c1d")
    with service.portal.db.session_factory() as session:
        discounted = session.get(Invoice, with_mandate)
        assert [line.label for line in discounted.lines][-1] == "Remise prélèvement SEPA (1,5 %)"
        assert all("SEPA" not in line.label for line in session.get(Invoice, without).lines)
        instalments = [(i.due_on, i.amount) for i in discounted.instalments]
        total = discounted.amount_incl_tax
    assert len(instalments) == 2

    portal_env.smtp.clear()
    today = services.today()
    planned = sepa_services.plan_debits(service.portal, on=today)
    assert [d.invoice_id for d in planned] == [with_mandate, with_mandate]  # company B has no mandate
    assert sum(d.amount for d in planned) == total
    for debit, (due_on, amount) in zip(planned, instalments):
        assert debit.amount == amount and debit.collection_date >= max(due_on, today + timedelta(days=14))
        assert debit.collection_date.weekday() < 5
    assert sepa_services.plan_debits(service.portal, on=today) == []  # nothing planned or mailed twice

    assert service.deliver_mail() == 2
    first = planned[0]
    mail = portal_env.smtp.wait_for(lambda m: m["To"] == "compta@boulangerie-martin.fr"
                                    and first.collection_date.strftime("%d/%m/%Y") in m["Subject"])
    body = mail.get_content()
    amount_fr = f"{first.amount:,.2f}".replace(",", NNBSP).replace(".", ",") + f"{NBSP}€"
    assert f"Référence unique du mandat (RUM) : {first.mandate_reference}" in body
    assert "Identifiant créancier SEPA (ICS) : FR12ZZZ123456" in body
    assert f"Montant : {amount_fr}" in body
    assert f"Date du prélèvement : {first.collection_date:%d/%m/%Y}" in body

    schema = xmlschema.XMLSchema(PAIN_XSD)
    batch, document = sepa_services.create_batch(service.portal, until=first.collection_date, by="test")
    schema.validate(document.decode())
    assert sequence_types(document) == [b"FRST"] and batch.transaction_count == 1
    assert b"<IBAN>FR7630006000011234567890189</IBAN>" in document
    assert f"<MndtId>{first.mandate_reference}</MndtId>".encode() in document
    second_batch, second = sepa_services.create_batch(service.portal, until=planned[1].collection_date, by="test")
    schema.validate(second.decode())
    assert sequence_types(second) == [b"RCUR"] and second_batch.message_id != batch.message_id
    assert {d.status for d in stored(service, SepaDebit)} == {"transmis"}
    # Each debit sent is the invoice's payment at its collection date: the invoice is settled.
    settled = stored(service, Invoice, id=with_mandate)[0]
    assert (settled.status, settled.amount_paid) == ("acquittee", total)
    payments = sorted(stored(service, Payment, invoice_id=with_mandate), key=lambda p: p.received_on)
    assert [(p.method, p.received_on) for p in payments] == [
        ("prelevement", debit.collection_date) for debit in planned]
    assert [e.data["method"] for e in service.events() if e.type == "billing.invoice.paid.v1"] == [
        "prelevement", "prelevement"]
    with pytest.raises(SepaBatchError):
        sepa_services.create_batch(service.portal, until=date(2099, 1, 1), by="test")

    # The IBAN went into the files only: not into billing's tables, nor into any event billing recorded.
    with service.portal.db.engine.connect() as conn:
        for table in ("billing_customer", "sepa_debit", "sepa_batch", "outbox", "mail_outbox", "payment"):
            rows = conn.execute(text(f"SELECT CAST(t.* AS TEXT) FROM {table} t")).scalars().all()
            assert all("30006000011234567890189" not in row for row in rows), table


def test_a_revoked_mandate_or_collective_proceedings_stop_the_pending_debits(service, customers, tariff_2026):
    member_a, _ = customers
    consumer = consumer_of(service)
    signed = catalogue.example_envelope("members.sepa_mandate.signed.v1", member_id=member_a, version=1)
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, signed)
    invoice_declaration(service, member_a, "0b7e4c2a-9d1f-4e3b-8a6c-5d4e3f2a1b0c")
    assert len(sepa_services.plan_debits(service.portal)) == 2
    revoked = catalogue.example_envelope("members.sepa_mandate.revoked.v1", member_id=member_a, version=2)
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, revoked)
    # A late copy of the signature (older version) does not bring the mandate back.
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, catalogue.example_envelope(
        "members.sepa_mandate.signed.v1", member_id=member_a, version=1))
    assert stored(service, BillingCustomer, member_id=member_a)[0].mandate_status == "revoked"
    assert {d.status for d in stored(service, SepaDebit)} == {"annule"}
    assert sepa_services.plan_debits(service.portal) == []

    renewed = catalogue.example_envelope("members.sepa_mandate.signed.v1", member_id=member_a, version=3,
                                         mandate_reference="ADH1000001-20261001-02")
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, renewed)
    assert stored(service, BillingCustomer, member_id=member_a)[0].mandate_status == "active"
    liquidation = catalogue.example_envelope("members.situation.changed.v1", member_id=member_a,
                                             kind="liquidation_judiciaire", version=4)
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, liquidation)
    assert sepa_services.plan_debits(service.portal) == []  # a company in liquidation is not debited
    customer = stored(service, BillingCustomer, member_id=member_a)[0]
    assert (customer.situation_kind, customer.situation_effective_on) == ("liquidation_judiciaire", date(2026, 12, 31))


def test_a_member_update_refreshes_the_billing_identity_and_an_older_one_changes_nothing(service, customers):
    member_a, _ = customers
    consumer = consumer_of(service)
    newer = catalogue.example_envelope(
        "members.member.updated.v1", member_id=member_a, version=3, name="Boulangerie Martin & Fils",
        billing_email="factures@martin.fr",
        address={"line1": "3 place de la Réunion", "line2": None, "postal_code": "68100", "city": "MULHOUSE"})
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, newer)
    older = catalogue.example_envelope("members.member.updated.v1", member_id=member_a, version=2,
                                       name="Ancien nom")
    assert consumer.process(MEMBER_DIRECTORY_QUEUE, older)
    customer = stored(service, BillingCustomer, member_id=member_a)[0]
    assert (customer.name, customer.billing_email, customer.address_line1, customer.version) == (
        "Boulangerie Martin & Fils", "factures@martin.fr", "3 place de la Réunion", 3)


def test_mandate_events_for_a_company_billing_does_not_know_yet_are_retried_not_lost(service):
    unknown = catalogue.example_envelope("members.sepa_mandate.signed.v1",
                                         member_id="00000000-0000-4000-8000-000000000000")
    with pytest.raises(Exception, match="00000000-0000-4000-8000-000000000000"):
        consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, unknown)
    assert stored(service, BillingCustomer) == []


def test_only_billing_staff_plan_debits_and_download_the_file_members_never_see_the_page(service, customers):
    client = service.client()
    member_admin = service.headers(make_principal(member_id=customers[0], roles=("admin",)))
    assert client.get("/gestion/factures/prelevements", headers=member_admin).status_code == 403
    secretary = make_principal(staff_roles=("secretariat",))
    page = client.get("/gestion/factures/prelevements", headers=service.headers(secretary))
    assert page.status_code == 200 and "Aucun prélèvement." in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/gestion/factures/prelevements/preparer", data={"csrf_token": token},
                       headers=service.headers(secretary)).status_code == 403
    billing_staff = make_principal(staff_roles=("billing",))
    page = client.get("/gestion/factures/prelevements", headers=service.headers(billing_staff))
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = client.post("/gestion/factures/prelevements/lots", data={"csrf_token": token, "until": "demain"},
                      headers=service.headers(billing_staff))
    assert bad.status_code == 422 and "Saisissez la date limite des prélèvements" in bad.text
    empty = client.post("/gestion/factures/prelevements/lots", data={"csrf_token": token, "until": "2026-12-31"},
                        headers=service.headers(billing_staff))
    assert empty.status_code == 422 and "Aucun prélèvement pré-notifié" in empty.text


def test_a_debit_whose_invoice_was_paid_meanwhile_is_cancelled_not_sent(service, customers, members, tariff_2026):
    member_a, _ = customers
    assert consumer_of(service).process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(members, member_a))
    invoice_id = invoice_declaration(service, member_a, "0b7e4c2a-9d1f-4e3b-8a6c-5d4e3f2a1b0c")
    planned = sepa_services.plan_debits(service.portal)
    total = stored(service, Invoice, id=invoice_id)[0].amount_incl_tax
    services.record_payment(service.portal, invoice_id, PaymentInput("virement", total, services.today(), "VIR 1"),
                            by="staff")
    with pytest.raises(SepaBatchError):
        sepa_services.create_batch(service.portal, until=max(d.collection_date for d in planned), by="test")
    assert {d.status for d in stored(service, SepaDebit)} == {"annule"}
    assert [p.method for p in stored(service, Payment)] == ["virement"]
