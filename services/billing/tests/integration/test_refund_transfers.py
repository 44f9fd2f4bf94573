"""Refunds of a member's credit by SEPA credit transfer (pain.001) to its mandate's account: staff ask for one,
the file carries it with the IBAN read from the real members service, each transfer is the member's ledger
entry, and the file, kept sealed, downloads again byte for byte."""

import logging
import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sepaxml
import xmlschema
from sqlalchemy import select, text

from billing.credit_notes.use_cases import issue_credit_note
from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.ledger.queries import account_in, violations
from billing.models import LedgerEntry, RefundBatch, RefundTransfer, mail_outbox
from billing.payments.rules import PaymentInput
from billing.payments.use_cases import record_payment
from billing.refunds.rules import RefundBatchError, TransferRejected
from billing.refunds.use_cases import export_transfers, request_transfer
from billing.worker import MEMBER_DIRECTORY_QUEUE
from portal_common import clock
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

IBAN_DIGITS, BIC = "FR7630006000011234567890189", "AGRIFRPP882"  # the IBAN sign_mandate_at_members signs with
NBSP = "\u00a0"
PAIN001_XSD = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.001.001.03.xsd")
BILLING_STAFF = make_principal(staff_roles=("billing",))


def credited_invoice(service, member_id):
    """1 401,84 € invoiced and paid by transfer, then 116,82 € credited: the member holds a 116,82 € credit."""
    invoice = issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind="cotisation",
            issued_on=date(2026, 2, 15),
            period="2026",
            lines=(LineInput("Cotisation annuelle 2026", Decimal("12"), Decimal("97.35")),),
        ),
    )
    record_payment(service.portal, invoice.id, PaymentInput("virement", Decimal("1401.84"), date(2026, 3, 1)), by="s")
    issue_credit_note(
        service.portal, invoice.id, label="Un salarié en trop", amount_excl_tax=Decimal("97.35"), cancel_all=False
    )
    return invoice


def csrf_of(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def held(service, member_id):
    with service.portal.db.session_factory() as session:
        return account_in(session, member_id)


def test_a_refund_by_transfer_waits_for_the_pain001_file_which_carries_it_to_the_mandates_account_and_books_it(
    service, customers, portal_env, caplog, billing_consumer, sign_mandate_at_members
):
    member_a, member_b = customers
    assert billing_consumer.process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(member_a, bic=BIC))
    invoice = credited_invoice(service, member_a)
    assert held(service, member_a).credit == Decimal("116.82")
    client, staff = service.client(), service.headers(BILLING_STAFF)

    # Staff ask for 100 € by transfer from the invoice's page: it waits, the credit is still the member's.
    page = client.get(f"/gestion/factures/{invoice.id}", headers=staff).text
    form = {"refund_amount": "100,00", "refund_method": "virement", "csrf_token": csrf_of(page)}
    # Never more than the credit held, said next to the field.
    too_much = client.post(
        f"/gestion/factures/{invoice.id}/remboursement", headers=staff, data=dict(form, refund_amount="200")
    )
    assert too_much.status_code == 422
    assert f"Le montant dépasse le crédit de l&#39;adhérent (116,82{NBSP}€ au plus)." in too_much.text
    asked = client.post(f"/gestion/factures/{invoice.id}/remboursement", headers=staff, data=form)
    assert asked.status_code == 302
    assert held(service, member_a).credit == Decimal("116.82")
    # One waits per member; a company without a mandate is refunded by other means.
    again = client.post(f"/gestion/factures/{invoice.id}/remboursement", headers=staff, data=form)
    assert again.status_code == 422 and "attend déjà le prochain fichier" in again.text
    with pytest.raises(TransferRejected) as refused:
        request_transfer(service.portal, member_b, Decimal("1.00"), by="s")
    assert "pas de mandat SEPA actif" in refused.value.errors["amount"]

    # The staff page lists it (no IBAN anywhere on it); other staff may not open it.
    listing = client.get("/gestion/factures/remboursements", headers=staff)
    assert listing.status_code == 200 and "À transmettre" in listing.text and "100,00" in listing.text
    assert IBAN_DIGITS not in listing.text and "30006000" not in listing.text
    secretariat = service.headers(make_principal(staff_roles=("secretariat",)))
    assert client.get("/gestion/factures/remboursements", headers=secretariat).status_code == 403

    # A past execution date is refused next to the field.
    page = listing.text
    past = (clock.today() - timedelta(days=1)).isoformat()
    refused_date = client.post(
        "/gestion/factures/remboursements/lots",
        headers=staff,
        data={"execution_date": past, "csrf_token": csrf_of(page)},
    )
    assert refused_date.status_code == 422 and "ne peut pas être passée" in refused_date.text

    caplog.set_level(logging.INFO)
    portal_env.smtp.clear()
    execution = clock.today() + timedelta(days=2)
    exported = client.post(
        "/gestion/factures/remboursements/lots",
        headers=staff,
        data={"execution_date": execution.isoformat(), "csrf_token": csrf_of(page)},
    )
    assert exported.status_code == 200 and exported.mimetype == "application/xml"
    document = exported.data
    xmlschema.XMLSchema(PAIN001_XSD).validate(document.decode())
    # A session closed at once: one left open holds its table until garbage collection, and the teardown's
    # TRUNCATE waited for it until the test timed out.
    with service.portal.db.session_factory() as session:
        [transfer] = list(session.scalars(select(RefundTransfer)))
    assert transfer.status == "transmis" and transfer.amount == Decimal("100.00")
    assert transfer.end_to_end_id.startswith("RMB-1000001-")
    assert re.findall(rb"<EndToEndId>([^<]+)</EndToEndId>", document) == [transfer.end_to_end_id.encode()]
    assert re.findall(rb'<InstdAmt Ccy="EUR">([^<]+)</InstdAmt>', document) == [b"100.00"]
    assert re.findall(rb"<CdtrAcct><Id><IBAN>([^<]+)</IBAN>", document) == [IBAN_DIGITS.encode()]
    assert re.findall(rb"<CdtrAgt><FinInstnId><BIC>([^<]+)</BIC>", document) == [BIC.encode()]
    assert f"<ReqdExctnDt>{execution.isoformat()}</ReqdExctnDt>".encode() in document
    assert b"<Cdtr><Nm>Boulangerie Martin</Nm></Cdtr>" in document

    # Each transfer of the file is a « remboursement » entry of the member's account; the ledger stays whole.
    with service.portal.db.session_factory() as session:
        entry = session.get(LedgerEntry, transfer.ledger_entry_id)
        assert (entry.kind, entry.amount, entry.member_id) == ("remboursement", Decimal("100.00"), member_a)
        assert transfer.end_to_end_id in entry.label
        account = account_in(session, member_a)
        assert (account.credit, account.balance) == (Decimal("16.82"), Decimal("-16.82"))
        ledger_sum = sum(session.scalars(select(LedgerEntry.amount).where(LedgerEntry.member_id == member_a)))
        assert ledger_sum == account.balance
        assert violations(session) == []
        batch = session.get(RefundBatch, transfer.batch_id)
        assert (batch.transaction_count, batch.control_sum) == (1, Decimal("100.00"))
    # The member is told, with the mandate's reference (never the IBAN).
    service.deliver_mail()
    mail = portal_env.smtp.wait_for(lambda m: "Remboursement de 100,00" in m["Subject"])
    body = mail.get_content()
    assert "par virement SEPA" in body and transfer.mandate_reference in body and transfer.end_to_end_id in body
    assert "30006000" not in body

    # Downloaded again: the same bytes, for billing staff only, logged with who read it.
    again = client.get(f"/gestion/factures/remboursements/lots/{batch.id}/fichier", headers=staff)
    assert again.status_code == 200 and again.data == document
    assert (
        client.get(f"/gestion/factures/remboursements/lots/{batch.id}/fichier", headers=secretariat).status_code == 403
    )
    assert any(r.getMessage() == "refund transfer file downloaded" for r in caplog.records)
    # Nothing more to send: said, nothing written.
    with pytest.raises(RefundBatchError):
        export_transfers(service.portal, execution_date=execution, by="s")

    # The IBAN is in the file only: not in the logs, nor in billing's tables (the kept file is sealed).
    assert all("30006000011234567890189" not in r.getMessage() + str(r.__dict__) for r in caplog.records)
    with service.portal.db.engine.connect() as conn:
        for table in ("refund_transfer", "ledger_entry", "outbox", "mail_outbox", "billing_customer"):
            rows = conn.execute(text(f"SELECT CAST(t.* AS TEXT) FROM {table} t")).scalars().all()
            assert all("30006000011234567890189" not in row for row in rows), table
        assert all(
            b"30006000011234567890189" not in bytes(kept)
            for kept in conn.execute(text("SELECT document FROM refund_batch")).scalars()
        )
        keys = conn.execute(select(mail_outbox.c.key).where(mail_outbox.c.key.like("billing-refund:%"))).scalars()
        assert list(keys) == [f"billing-refund:{entry.id}"]


def absence_fee(service, member_id):
    """60,00 € (50 € + VAT): issued, it takes what it can of the member's credit (« Compensation avoir »)."""
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind="absence",
            issued_on=date(2026, 3, 15),
            period="2026",
            lines=(LineInput("Absence non excusée", Decimal("1"), Decimal("50.00")),),
        ),
    )


def test_a_waiting_transfer_takes_at_most_the_credit_left_when_the_file_is_built_and_none_when_it_is_gone(
    service, customers, billing_consumer, sign_mandate_at_members
):
    member_a, _ = customers
    assert billing_consumer.process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(member_a, bic=BIC))
    credited_invoice(service, member_a)
    request_transfer(service.portal, member_a, Decimal("116.82"), by="s")
    # Meanwhile a new invoice takes 60 € of the credit: the transfer is cut to what is left.
    later = absence_fee(service, member_a)
    assert held(service, member_a).credit == Decimal("56.82")
    _, document = export_transfers(service.portal, execution_date=clock.today(), by="s")
    assert re.findall(rb'<InstdAmt Ccy="EUR">([^<]+)</InstdAmt>', document) == [b"56.82"]
    assert held(service, member_a).credit == Decimal("0.00")

    # A credit again (the fee cancelled), a transfer asked, then the credit set off before the file: cancelled,
    # no file, nothing booked.
    issue_credit_note(service.portal, later.id, label="Absence excusée", amount_excl_tax=None, cancel_all=True)
    assert held(service, member_a).credit == Decimal("60.00")
    request_transfer(service.portal, member_a, Decimal("60.00"), by="s")
    absence_fee(service, member_a)
    with pytest.raises(RefundBatchError):
        export_transfers(service.portal, execution_date=clock.today(), by="s")
    with service.portal.db.session_factory() as session:
        assert violations(session) == []
        assert sorted(t.status for t in session.scalars(select(RefundTransfer))) == ["annule", "transmis"]
        assert session.scalar(select(text("count(*)")).select_from(RefundBatch)) == 1
        refunds = session.scalars(select(LedgerEntry.amount).where(LedgerEntry.kind == "remboursement")).all()
        assert refunds == [Decimal("56.82")]


def test_the_database_holds_one_waiting_transfer_per_member_and_each_state_with_what_it_needs(service, customers):
    from sqlalchemy.exc import IntegrityError

    member_a, _ = customers
    now = clock.utcnow()
    row = {"member_id": member_a, "amount": Decimal("5.00"), "requested_by": "s", "requested_at": now}
    with service.portal.db.session_factory() as session:
        session.add(RefundTransfer(id="00000000-0000-0000-0000-000000000001", status="a_transmettre", **row))
        session.commit()
    for broken in (
        {"id": "00000000-0000-0000-0000-000000000002", "status": "a_transmettre"},  # a second one waiting
        {"id": "00000000-0000-0000-0000-000000000003", "status": "transmis"},  # sent without file nor entry
    ):
        with service.portal.db.session_factory() as session:
            session.add(RefundTransfer(**broken, **row))
            with pytest.raises(IntegrityError):
                session.commit()
