"""Staff record payments (overpayment kept as credit); "Mon échéancier" with its running balance."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update

from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.models import Invoice
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

BILLING_STAFF = make_principal(staff_roles=("billing",))
NNBSP, NBSP = "\u202f", "\u00a0"


def issue(service, member_id, *, kind="cotisation", unit_price="97.35", issued_on=date(2026, 2, 15)):
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind=kind,
            issued_on=issued_on,
            due_on=date(2026, 3, 17),
            period="2026",
            lines=(LineInput("Cotisation annuelle 2026", Decimal("12"), Decimal(unit_price)),),
        ),
    )


def pay(service, invoice_id, principal=BILLING_STAFF, **overrides):
    body = {"method": "virement", "amount": "700.92", "received_on": "2026-03-10", "reference": "VIR 123"}
    body.update(overrides)
    return service.client().post(
        f"/api/billing/invoices/{invoice_id}/payments", json=body, headers=service.headers(principal)
    )


def read(service, invoice_id, principal=BILLING_STAFF):
    return service.client().get(f"/api/billing/invoices/{invoice_id}", headers=service.headers(principal)).json


def test_payments_move_the_invoice_to_partly_paid_then_settled_and_more_than_due_is_refused(service, customers):
    member_a, _ = customers
    invoice = issue(service, member_a)  # 1 401,84 € TTC
    first = pay(service, invoice.id)
    assert first.status_code == 201
    assert (first.json["applied_amount"], first.json["credit_amount"]) == ("700.92", "0.00")
    assert (read(service, invoice.id)["status"], read(service, invoice.id)["amount_due"]) == (
        "partiellement_payee",
        "700.92",
    )
    # More than what is due is refused with the amount allowed (a card overpayment is kept as credit instead).
    too_much = pay(service, invoice.id, method="cheque", amount="800.00", reference="CHQ 4567")
    assert too_much.status_code == 422
    assert too_much.json["errors"]["json"] == {
        "amount": f"Le montant dépasse ce qui reste à payer sur cette facture (700,92{NBSP}€ au plus)."
    }
    second = pay(service, invoice.id, method="cheque", amount="700.92", reference="CHQ 4567").json
    assert (second["applied_amount"], second["credit_amount"]) == ("700.92", "0.00")
    body = read(service, invoice.id)
    assert (body["status"], body["amount_paid"], body["amount_due"]) == ("acquittee", "1401.84", "0.00")
    reader = make_principal(member_id=member_a, roles=("billing",))
    page = service.client().get("/factures", headers=service.headers(reader)).text
    assert f"Solde restant dû : 0,00{NBSP}€" in page and "Crédit en votre faveur" not in page
    listed = service.client().get(f"/api/billing/invoices/{invoice.id}/payments", headers=service.headers(reader))
    assert [p["amount"] for p in listed.json] == ["700.92", "700.92"]


def test_a_bad_payment_is_refused_with_field_errors_and_changes_nothing(service, customers):
    member_a, member_b = customers
    invoice = issue(service, member_a)
    refused = pay(service, invoice.id, method="carte", amount="-5", received_on="2099-01-01", extra="x")
    assert refused.status_code == 422
    assert set(refused.json["errors"]["json"]) == {"method", "amount", "extra"}
    future = pay(service, invoice.id, received_on="2099-01-01", amount="10.001")
    assert set(future.json["errors"]["json"]) == {"received_on", "amount"}
    credit_note = issue(service, member_a, kind="avoir", unit_price="-10.00")
    assert pay(service, credit_note.id).json["errors"]["json"] == {
        "invoice": "Un avoir ne se règle pas : il s'impute sur une facture."
    }
    assert pay(service, "missing-invoice").status_code == 404
    assert read(service, invoice.id)["amount_paid"] == "0.00"
    # Members never record payments; another company's payments are not even visible.
    member_admin = make_principal(member_id=member_a, roles=("admin",))
    assert pay(service, invoice.id, member_admin).status_code == 403
    reader_b = service.headers(make_principal(member_id=member_b, roles=("billing",)))
    assert service.client().get(f"/api/billing/invoices/{invoice.id}/payments", headers=reader_b).status_code == 404


def test_the_statement_lists_instalments_credit_notes_and_payments_with_a_running_balance(service, customers):
    member_a, member_b = customers
    invoice = issue(service, member_a)  # two instalments of 700,92 €: 17/03 and 17/05
    note = issue(service, member_a, kind="avoir", unit_price="-10.00", issued_on=date(2026, 3, 1))  # −144,00 €
    contentious = issue(service, member_a, kind="absence", unit_price="50.00")  # 720,00 €
    foreign = issue(service, member_b)
    pay(service, invoice.id, received_on="2026-03-10")
    with service.portal.db.session_factory() as session:
        session.execute(update(Invoice).where(Invoice.id == contentious.id).values(status="contentieux"))
        session.commit()
    reader = make_principal(member_id=member_a, roles=("read",))
    page = service.client().get("/factures/echeancier", headers=service.headers(reader))
    assert page.status_code == 200
    html = page.text
    assert "<h1>Mon échéancier</h1>" in html and '<th scope="col">Date d\'exigibilité</th>' in html
    # An invoice in litigation is still owed: the statement is the ledger, as « Mes factures » is.
    assert contentious.number in html and foreign.number not in html
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = [row.split("</tr>")[0] for row in body.split("<tr>")[1:]]
    assert len(rows) == 5
    # In due-date order: the payment of 10/03, then what falls due on 17/03 (issue date, number), then 17/05.
    assert "Règlement (virement)" in rows[0] and f"-700,92{NBSP}€" in rows[0]
    assert "(échéance 1/2)" in rows[1] and "17/03/2026" in rows[1] and f"0,00{NBSP}€" in rows[1]
    assert contentious.number in rows[2] and f"720,00{NBSP}€" in rows[2]
    assert note.number in rows[3] and "Avoir" in rows[3] and "01/03/2026" in rows[3] and f"576,00{NBSP}€" in rows[3]
    assert "(échéance 2/2)" in rows[4] and "17/05/2026" in rows[4] and f"1{NNBSP}276,92{NBSP}€" in rows[4]
    assert f'Solde restant dû</th><td class="number"><strong>1{NNBSP}276,92{NBSP}€' in html
    listing = service.client().get("/factures?annee=2026", headers=service.headers(reader)).text
    assert f"Solde restant dû : 1{NNBSP}276,92{NBSP}€" in listing
    declarant = make_principal(member_id=member_a, roles=("declaration",))
    assert service.client().get("/factures/echeancier", headers=service.headers(declarant)).status_code == 403
    assert service.client().get("/factures/echeancier").status_code == 302


def test_staff_record_a_cheque_from_the_invoice_page_with_french_errors(service, customers):
    member_a, _ = customers
    invoice = issue(service, member_a)
    client, headers = service.client(), service.headers(BILLING_STAFF)
    page = client.get(f"/gestion/factures/{invoice.id}", headers=headers)
    assert page.status_code == 200 and f"<h1>Facture {invoice.number}</h1>" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {
        "method": "cheque",
        "amount": "1 401,84",
        "received_on": "2026-03-01",
        "reference": "CHQ 1",
        "csrf_token": token,
    }
    refused = client.post(
        f"/gestion/factures/{invoice.id}/reglements", data=dict(form, amount="beaucoup"), headers=headers
    )
    assert refused.status_code == 422 and "Saisissez un montant" in refused.text
    saved = client.post(f"/gestion/factures/{invoice.id}/reglements", data=form, headers=headers)
    assert (saved.status_code, saved.headers["Location"]) == (302, f"/gestion/factures/{invoice.id}")
    assert read(service, invoice.id)["status"] == "acquittee"
    secretary = service.headers(make_principal(staff_roles=("secretariat",)))
    assert client.post(f"/gestion/factures/{invoice.id}/reglements", data=form, headers=secretary).status_code == 403
    member = service.headers(make_principal(member_id=member_a, roles=("admin",)))
    assert client.get(f"/gestion/factures/{invoice.id}", headers=member).status_code == 403
