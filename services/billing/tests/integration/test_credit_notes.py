"""Credit notes correcting an invoice: exact amounts, set-off, the event, the staff page and who may do what."""

from datetime import date
from decimal import Decimal

import pytest

from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from portal_common.messaging import catalogue
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

BILLING_STAFF = make_principal(staff_roles=("billing",))
NBSP = "\u00a0"


def issue(service, member_id):
    """12 × 97,35 € = 1 168,20 € HT, 1 401,84 € TTC, in two instalments of 700,92 €."""
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind="cotisation",
            issued_on=date(2026, 2, 15),
            due_on=date(2026, 3, 17),
            period="2026",
            lines=(
                LineInput(
                    "Cotisation 2026 : salariés en suivi individuel simple (SI)", Decimal("12"), Decimal("97.35")
                ),
            ),
        ),
    )


def credit(service, invoice_id, principal=BILLING_STAFF, **body):
    return service.client().post(
        f"/api/billing/invoices/{invoice_id}/credit-notes", json=body, headers=service.headers(principal)
    )


def read(service, invoice_id, principal=BILLING_STAFF):
    return service.client().get(f"/api/billing/invoices/{invoice_id}", headers=service.headers(principal)).json


def test_a_partial_credit_note_is_numbered_in_sequence_set_off_against_the_invoice_and_published(service, customers):
    member_a, _ = customers
    invoice = issue(service, member_a)
    response = credit(service, invoice.id, label="Un salarié déclaré en trop", amount_excl_tax="97.35")
    assert response.status_code == 201
    note = response.json
    assert (note["number"], note["kind"], note["corrects_invoice_id"]) == ("F2026-000002", "avoir", invoice.id)
    assert (note["amount_excl_tax"], note["vat_amount"], note["amount_incl_tax"]) == ("-97.35", "-19.47", "-116.82")
    # Never payable: « Avoir », nothing to pay on it; what it set off shows on the invoice it corrects.
    assert (note["amount_paid"], note["amount_due"], note["status"]) == ("-116.82", "0.00", "avoir")
    assert note["lines"] == [
        {"label": "Un salarié déclaré en trop", "quantity": "1.00", "unit_price": "-97.35", "amount": "-97.35"}
    ]
    corrected = read(service, invoice.id)
    assert (corrected["amount_paid"], corrected["amount_due"], corrected["status"]) == (
        "116.82",
        "1285.02",
        "partiellement_payee",
    )
    issued, credited = service.events()
    catalogue.validate(credited)
    assert issued.type == "billing.invoice.issued.v1" and credited.type == "billing.credit_note.issued.v1"
    assert credited.data == {
        "credit_note_id": note["id"],
        "member_id": member_a,
        "number": "F2026-000002",
        "issued_on": note["issued_on"],
        "amount_incl_tax": "-116.82",
        "corrects_invoice_id": invoice.id,
        "corrects_number": "F2026-000001",
        "reason": "correction",
        "status": "avoir",
        "version": 1,
        "download_path": f"/factures/{note['id']}/pdf",
    }
    reader = make_principal(member_id=member_a, roles=("billing",))
    listed = service.client().get(f"/api/billing/invoices/{invoice.id}/credit-notes", headers=service.headers(reader))
    assert [n["number"] for n in listed.json] == ["F2026-000002"]


def test_a_full_cancellation_takes_back_what_is_left_then_nothing_more_can_be_credited(service, customers):
    member_a, _ = customers
    invoice = issue(service, member_a)
    credit(service, invoice.id, label="Un salarié déclaré en trop", amount_excl_tax="97.35")
    cancelled = credit(service, invoice.id, label="Annulation du solde", cancel_all=True)
    assert cancelled.status_code == 201
    assert (cancelled.json["amount_excl_tax"], cancelled.json["amount_incl_tax"]) == ("-1070.85", "-1285.02")
    assert (read(service, invoice.id)["amount_due"], read(service, invoice.id)["status"]) == ("0.00", "acquittee")
    refused = credit(service, invoice.id, label="Encore", amount_excl_tax="1.00")
    assert refused.status_code == 422
    assert refused.json["errors"]["json"] == {
        "invoice": "La facture F2026-000001 a déjà été entièrement annulée par avoir."
    }
    assert len(service.events()) == 3


def test_a_credit_note_on_a_paid_invoice_is_owed_back_and_the_statement_balance_counts_it(service, customers):
    member_a, _ = customers
    invoice = issue(service, member_a)
    payment = service.client().post(
        f"/api/billing/invoices/{invoice.id}/payments",
        headers=service.headers(BILLING_STAFF),
        json={"method": "virement", "amount": "1401.84", "received_on": "2026-03-01"},
    )
    assert payment.status_code == 201
    note = credit(service, invoice.id, label="Un salarié déclaré en trop", amount_excl_tax="97.35").json
    assert (note["amount_paid"], note["amount_due"], note["status"]) == ("0.00", "0.00", "avoir")
    assert read(service, invoice.id)["status"] == "acquittee"
    reader = make_principal(member_id=member_a, roles=("read",))
    html = service.client().get("/factures/echeancier", headers=service.headers(reader)).text
    # 1 401,84 € due, 1 401,84 € paid, 116,82 € credited: the company is owed 116,82 €.
    assert f'Solde créditeur</th><td class="number"><strong>116,82{NBSP}€</strong>' in html
    listing = service.client().get("/factures?annee=2026", headers=service.headers(reader)).text
    assert f"Solde créditeur : 116,82{NBSP}€" in listing
    # The credit note is listed with the settled documents, never with a card payment button.
    unpaid_section = listing.split('id="acquittees"')[0]
    assert note["number"] not in unpaid_section and "Payer par carte" not in listing


def test_bad_credit_notes_are_refused_in_french_and_nobody_but_billing_staff_issues_one(service, customers):
    member_a, member_b = customers
    invoice = issue(service, member_a)
    too_much = credit(service, invoice.id, label="Correction", amount_excl_tax="1168.21")
    assert too_much.status_code == 422
    assert too_much.json["errors"]["json"] == {
        "amount_excl_tax": (
            "Le montant dépasse ce qui reste à créditer sur la facture F2026-000001 (1\u202f168,20\u00a0€ HT)."
        )
    }
    both = credit(service, invoice.id, label="Correction", amount_excl_tax="1.00", cancel_all=True)
    assert set(both.json["errors"]["json"]) == {"amount_excl_tax"}
    assert credit(service, invoice.id, label="", amount_excl_tax="1.00").status_code == 422
    assert (
        credit(service, "00000000-0000-4000-8000-000000000000", label="Correction", amount_excl_tax="1.00").status_code
        == 404
    )
    note = credit(service, invoice.id, label="Correction", amount_excl_tax="10.00").json
    assert credit(service, note["id"], label="Correction", amount_excl_tax="1.00").json["errors"]["json"] == {
        "invoice": "Un avoir ne se corrige pas par un autre avoir."
    }
    # Members never issue credit notes, not even their admin; secretaries neither.
    assert (
        credit(
            service, invoice.id, make_principal(member_id=member_a, roles=("admin",)), label="x", amount_excl_tax="1.00"
        ).status_code
        == 403
    )
    assert (
        credit(
            service, invoice.id, make_principal(staff_roles=("secretariat",)), label="x", amount_excl_tax="1.00"
        ).status_code
        == 403
    )
    # Another company's users do not even see that the invoice or its credit notes exist.
    reader_b = service.headers(make_principal(member_id=member_b, roles=("billing",)))
    client = service.client()
    assert client.get(f"/api/billing/invoices/{invoice.id}/credit-notes", headers=reader_b).status_code == 404
    assert client.get(f"/api/billing/invoices/{note['id']}", headers=reader_b).status_code == 404
    assert client.get(f"/factures/{note['id']}/pdf", headers=reader_b).status_code == 404
    assert [e.type for e in service.events()].count("billing.credit_note.issued.v1") == 1


def test_staff_issue_a_credit_note_from_the_invoice_page_with_errors_next_to_the_fields(service, customers):
    member_a, _ = customers
    invoice = issue(service, member_a)
    client, headers = service.client(), service.headers(BILLING_STAFF)
    page = client.get(f"/gestion/factures/{invoice.id}", headers=headers)
    assert "Émettre un avoir" in page.text and f"1{chr(0x202F)}168,20{NBSP}€ HT" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    path = f"/gestion/factures/{invoice.id}/avoirs"
    no_token = client.post(path, data={"credit_label": "x", "credit_amount": "1"}, headers=headers)
    assert no_token.status_code == 403
    refused = client.post(
        path, data={"csrf_token": token, "credit_label": "", "credit_amount": "beaucoup"}, headers=headers
    )
    assert refused.status_code == 422
    assert 'id="f-credit_amount-error">Saisissez un montant (exemple : 97,35).' in refused.text
    too_much = client.post(
        path, data={"csrf_token": token, "credit_label": "Correction", "credit_amount": "2 000"}, headers=headers
    )
    assert too_much.status_code == 422 and 'id="f-credit_amount-error">Le montant dépasse' in too_much.text
    assert 'id="f-credit_label-error"' not in too_much.text and 'value="Correction"' in too_much.text
    saved = client.post(
        path,
        data={"csrf_token": token, "credit_label": "Un salarié déclaré en trop", "credit_amount": "97,35"},
        headers=headers,
    )
    assert (saved.status_code, saved.headers["Location"]) == (302, f"/gestion/factures/{invoice.id}")
    shown = client.get(f"/gestion/factures/{invoice.id}", headers=headers).text
    assert "F2026-000002" in shown and f"-116,82{NBSP}€" in shown
    note_id = shown.split('">F2026-000002</a>')[0].rsplit('<a href="/gestion/factures/', 1)[1]
    note_page = client.get(f"/gestion/factures/{note_id}", headers=headers).text
    assert f'Cet avoir corrige la facture <a href="/gestion/factures/{invoice.id}">F2026-000001</a>.' in note_page
    assert "Émettre un avoir" not in note_page
    secretary = service.headers(make_principal(staff_roles=("secretariat",)))
    assert (
        client.post(
            path, data={"csrf_token": token, "credit_label": "x", "credit_amount": "1"}, headers=secretary
        ).status_code
        == 403
    )
