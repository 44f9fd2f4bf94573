"""The invoice PDF: legal mentions, schedule, and served only to the invoiced company or staff."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from billing.credit_notes.use_cases import issue_credit_note
from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration


def issue(service, member_id):
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


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)


def test_the_invoice_pdf_carries_the_legal_mentions_totals_and_schedule(service, customers):
    member_a, _ = customers
    invoice = issue(service, member_a)
    reader = make_principal(member_id=member_a, roles=("billing",))
    response = service.client().get(f"/factures/{invoice.id}/pdf", headers=service.headers(reader))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="F2026-000001.pdf"'
    text = pdf_text(response.data)
    for mention in (
        "FACTURE N° F2026-000001",
        "SIRET 77501200000003",
        "Boulangerie Martin",
        "SIREN 732829320",
        "Date d'émission : 15/02/2026",
        "Date d'échéance : 17/03/2026",
        "Total HT",
        "1 168,20 €",
        "TVA 20,00 %",
        "233,64 €",
        "Total TTC",
        "1 401,84 €",
        "Échéancier",
        "17/05/2026",
        "700,92 €",
        "Virement : IBAN",
        "40,00 €",
        "L441-10",
        "prestation de services",
    ):
        assert mention in text, mention


def test_another_companys_invoice_pdf_answers_404_and_needs_a_billing_reader(service, customers):
    member_a, member_b = customers
    foreign = issue(service, member_b)
    client = service.client()
    reader_a = service.headers(make_principal(member_id=member_a, roles=("read",)))
    assert client.get(f"/factures/{foreign.id}/pdf", headers=reader_a).status_code == 404
    assert client.get("/factures/unknown/pdf", headers=reader_a).status_code == 404
    declarant = service.headers(make_principal(member_id=member_b, roles=("declaration",)))
    assert client.get(f"/factures/{foreign.id}/pdf", headers=declarant).status_code == 403
    staff = service.headers(make_principal(staff_roles=("secretariat",)))
    assert client.get(f"/factures/{foreign.id}/pdf", headers=staff).status_code == 200


def test_a_credit_note_pdf_names_the_invoice_it_corrects_and_an_estimate_says_why_it_was_issued(service, customers):
    member_a, _ = customers
    estimate = issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_a,
            kind="facture_office",
            issued_on=date(2026, 2, 2),
            period="2026",
            lines=(
                LineInput("Cotisation 2026 : salariés en suivi individuel simple (SI)", Decimal("3"), Decimal("97.35")),
            ),
        ),
    )
    note = issue_credit_note(service.portal, estimate.id, label="Annulation", amount_excl_tax=None, cancel_all=True)
    reader = service.headers(make_principal(member_id=member_a, roles=("billing",)))
    estimate_text = pdf_text(service.client().get(f"/factures/{estimate.id}/pdf", headers=reader).data)
    assert "FACTURE D'OFFICE N° F2026-000001" in estimate_text
    assert "faute de déclaration des effectifs" in estimate_text
    note_text = pdf_text(service.client().get(f"/factures/{note.id}/pdf", headers=reader).data)
    for mention in (
        "AVOIR N° F2026-000002",
        "Avoir se rapportant à la facture n° F2026-000001",
        "-292,05 €",
        "Montant crédité TTC 350,46 €",
        "Imputé sur la facture n° F2026-000001 350,46 €",
        "Crédit en votre faveur 0,00 €",
        "SIREN 732829320",
        "Cet avoir n'appelle",
    ):
        assert mention in note_text, mention
    # A credit note is never payable: no due date, no schedule, no payment means, no late-payment penalties.
    for absent in ("Date d'échéance", "Échéancier", "Moyens de paiement", "pénalités", "40,00 €", "Reste à payer"):
        assert absent not in note_text, absent


def test_a_long_line_label_wraps_in_full_on_the_pdf(service, customers):
    member_a, _ = customers
    label = "Embauche après la déclaration 2026 : DUPONT-MARTINEZ Marie Claire Élodie entré(e) le 03/12/2026 (SIR)"
    invoice = issue_invoice(
        service.portal,
        IssueCommand(member_id=member_a, kind="embauche", lines=(LineInput(label, Decimal("1"), Decimal("97.35")),)),
    )
    reader = service.headers(make_principal(member_id=member_a, roles=("billing",)))
    text = pdf_text(service.client().get(f"/factures/{invoice.id}/pdf", headers=reader).data)
    flat = " ".join(text.split())
    assert "DUPONT-MARTINEZ Marie Claire Élodie entré(e) le 03/12/2026 (SIR)" in flat and "..." not in flat
