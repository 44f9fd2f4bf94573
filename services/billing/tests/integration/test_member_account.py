"""A member's credit (« Solde créditeur »): staff refund it, at most what is held, or set it off against an
invoice; both are ledger entries and every figure follows."""

from datetime import date
from decimal import Decimal

import pytest

from billing.credit_notes.use_cases import issue_credit_note
from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.ledger.queries import account_in, violations
from billing.payments.rules import PaymentInput
from billing.payments.use_cases import record_payment
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

NBSP, NNBSP = "\u00a0", "\u202f"
BILLING_STAFF = make_principal(staff_roles=("billing",))


def issue(service, member_id, kind="cotisation", unit_price="97.35"):
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind=kind,
            issued_on=date(2026, 2, 15),
            period="2026",
            lines=(LineInput("Cotisation annuelle 2026", Decimal("12"), Decimal(unit_price)),),
        ),
    )


def csrf_of(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_staff_refund_at_most_the_credit_and_the_rest_is_set_off_against_the_next_invoice_when_issued(
    service, customers
):
    member_a, _ = customers
    invoice = issue(service, member_a)  # 1 401,84 €
    record_payment(service.portal, invoice.id, PaymentInput("virement", Decimal("1401.84"), date(2026, 3, 1)), by="s")
    issue_credit_note(
        service.portal, invoice.id, label="Un salarié en trop", amount_excl_tax=Decimal("97.35"), cancel_all=False
    )
    client, staff = service.client(), service.headers(BILLING_STAFF)
    page = client.get(f"/gestion/factures/{invoice.id}", headers=staff).text
    assert f"Solde créditeur : <strong>116,82{NBSP}€</strong>" in page
    too_much = client.post(
        f"/gestion/factures/{invoice.id}/remboursement",
        headers=staff,
        data={"refund_amount": "200", "csrf_token": csrf_of(page)},
    )
    assert too_much.status_code == 422
    assert f"Le montant dépasse le crédit de l&#39;adhérent (116,82{NBSP}€ au plus)." in too_much.text
    refunded = client.post(
        f"/gestion/factures/{invoice.id}/remboursement",
        headers=staff,
        data={"refund_amount": "100,00", "csrf_token": csrf_of(page)},
    )
    assert refunded.status_code == 302
    # The rest of the credit (16,82 €) is set off against the next invoice as it is issued (« Compensation avoir »).
    next_one = issue(service, member_a, kind="absence", unit_price="5.00")  # 72,00 €
    page = client.get(f"/gestion/factures/{next_one.id}", headers=staff).text
    with service.portal.db.session_factory() as session:
        held = account_in(session, member_a)
        assert (held.balance, held.due, held.credit) == (Decimal("55.18"), Decimal("55.18"), Decimal("0.00"))
        assert violations(session) == []
    reader = service.headers(make_principal(member_id=member_a, roles=("billing",)))
    assert f"Solde restant dû : 55,18{NBSP}€" in client.get("/factures?annee=2026", headers=reader).text
    statement = client.get("/factures/echeancier", headers=reader).text
    assert "Remboursement" in statement and f"<strong>55,18{NBSP}€</strong>" in statement
    account = client.get(f"/api/billing/members/{member_a}/account", headers=reader).json
    assert (account["balance"], account["due"], account["credit"], account["label"]) == (
        "55.18",
        "55.18",
        "0.00",
        "Solde restant dû",
    )
    # In booking order: both invoices of 15/02 and the offset booked with the second, the payment of 01/03,
    # then today's credit note and refund.
    assert [e["kind"] for e in account["entries"]] == [
        "facture",
        "facture",
        "imputation",
        "reglement",
        "avoir",
        "remboursement",
    ]
    other = service.headers(make_principal(member_id=customers[1], roles=("billing",)))
    assert client.get(f"/api/billing/members/{member_a}/account", headers=other).status_code == 404
    nothing_left = client.post(
        f"/gestion/factures/{next_one.id}/imputation", headers=staff, data={"csrf_token": csrf_of(page)}
    )
    assert nothing_left.status_code == 409


def test_the_credit_set_off_against_an_invoice_is_its_own_compensation_avoir_line_on_the_pdf_and_the_pages(
    service, customers
):
    from io import BytesIO

    from pypdf import PdfReader

    member_a, _ = customers
    invoice = issue(service, member_a)  # 1 401,84 €
    record_payment(service.portal, invoice.id, PaymentInput("virement", Decimal("1401.84"), date(2026, 3, 1)), by="s")
    issue_credit_note(
        service.portal, invoice.id, label="Un salarié en trop", amount_excl_tax=Decimal("97.35"), cancel_all=False
    )
    # The 116,82 € credit is set off against the next invoice (216,00 €) as it is issued; 50,00 € are then paid.
    next_one = issue(service, member_a, kind="absence", unit_price="15.00")
    record_payment(service.portal, next_one.id, PaymentInput("cheque", Decimal("50.00"), date(2026, 3, 20)), by="s")
    reader = service.headers(make_principal(member_id=member_a, roles=("billing",)))
    client = service.client()
    body = client.get(f"/factures/{next_one.id}/pdf", headers=reader).data
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages).replace("\u00a0", " ")
    lines = [line.strip() for line in text.splitlines()]
    assert "Total TTC 216,00 €" in lines
    assert "Compensation avoir -116,82 €" in lines  # its own line, apart from what was paid
    assert "Déjà réglé 50,00 €" in lines and "Reste à payer 49,18 €" in lines
    # The first invoice, paid by transfer, has no such line.
    first = client.get(f"/factures/{invoice.id}/pdf", headers=reader).data
    assert "Compensation avoir" not in "\n".join(page.extract_text() for page in PdfReader(BytesIO(first)).pages)
    staff_page = client.get(f"/gestion/factures/{next_one.id}", headers=service.headers(BILLING_STAFF)).text
    assert f"<dt>Compensation avoir</dt><dd>-116,82{NBSP}€" in staff_page
    assert f"<dt>Déjà réglé</dt><dd>50,00{NBSP}€</dd>" in staff_page
    listing = client.get("/factures?annee=2026", headers=reader).text
    assert f"Compensation avoir : -116,82{NBSP}€" in listing
