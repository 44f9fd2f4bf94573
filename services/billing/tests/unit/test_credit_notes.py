"""Credit note rules: what may be taken back from an invoice, and how much of it settles the invoice."""

from decimal import Decimal as D

import pytest

from billing.credit_notes.rules import CorrectedInvoice, CreditNoteRejected, credit_note_lines, set_off
from billing.invoices.rules import PricedLine

LINES = (
    PricedLine("Cotisation 2026 : salariés en suivi individuel simple (SI)", D("12"), D("97.35"), D("1168.20")),
    PricedLine("Remise prélèvement SEPA (1,5 %)", D("1"), D("-17.52"), D("-17.52")),
)
INVOICE = CorrectedInvoice(number="F2026-000001", kind="cotisation", amount_excl_tax=D("1150.68"), lines=LINES)


def test_a_full_cancellation_repeats_every_line_with_the_opposite_sign():
    lines = credit_note_lines(INVOICE, label="Annulation", amount_excl_tax=None, cancel_all=True)
    assert [(line.label, line.quantity, line.unit_price) for line in lines] == [
        ("Annulation : Cotisation 2026 : salariés en suivi individuel simple (SI)", D("12"), D("-97.35")),
        ("Annulation : Remise prélèvement SEPA (1,5 %)", D("1"), D("17.52")),
    ]


def test_a_partial_credit_note_takes_back_one_amount_excl_tax():
    lines = credit_note_lines(INVOICE, label="Un salarié déclaré en trop", amount_excl_tax=D("97.35"), cancel_all=False)
    assert [(line.label, line.quantity, line.unit_price) for line in lines] == [
        ("Un salarié déclaré en trop", D("1"), D("-97.35"))
    ]


def test_after_a_partial_credit_a_full_cancellation_takes_back_only_what_is_left():
    credited = CorrectedInvoice(**{**INVOICE.__dict__, "already_credited": D("97.35")})
    lines = credit_note_lines(credited, label="Annulation du solde", amount_excl_tax=None, cancel_all=True)
    assert [(line.quantity, line.unit_price) for line in lines] == [(D("1"), D("-1053.33"))]


def test_more_than_what_is_left_to_credit_is_refused_with_the_amount_in_french():
    credited = CorrectedInvoice(**{**INVOICE.__dict__, "already_credited": D("1000.00")})
    with pytest.raises(CreditNoteRejected) as caught:
        credit_note_lines(credited, label="Correction", amount_excl_tax=D("150.69"), cancel_all=False)
    assert caught.value.errors == {
        "amount_excl_tax": "Le montant dépasse ce qui reste à créditer sur la facture F2026-000001 (150,68\u00a0€ HT)."
    }


def test_a_credit_note_needs_a_reason_and_either_an_amount_or_a_full_cancellation():
    with pytest.raises(CreditNoteRejected) as caught:
        credit_note_lines(INVOICE, label=" ", amount_excl_tax=None, cancel_all=False)
    assert set(caught.value.errors) == {"label", "amount_excl_tax"}
    with pytest.raises(CreditNoteRejected) as caught:
        credit_note_lines(INVOICE, label="Correction", amount_excl_tax=D("10.00"), cancel_all=True)
    assert caught.value.errors == {"amount_excl_tax": "Indiquez un montant ou l'annulation totale, pas les deux."}
    with pytest.raises(CreditNoteRejected) as caught:
        credit_note_lines(INVOICE, label="Correction", amount_excl_tax=D("10.001"), cancel_all=False)
    assert "deux décimales" in caught.value.errors["amount_excl_tax"]


def test_a_credit_note_never_corrects_another_credit_note_nor_a_fully_cancelled_invoice():
    note = CorrectedInvoice(number="F2026-000002", kind="avoir", amount_excl_tax=D("-10.00"), lines=())
    with pytest.raises(CreditNoteRejected) as caught:
        credit_note_lines(note, label="Correction", amount_excl_tax=D("1.00"), cancel_all=False)
    assert caught.value.errors == {"invoice": "Un avoir ne se corrige pas par un autre avoir."}
    cancelled = CorrectedInvoice(**{**INVOICE.__dict__, "already_credited": D("1150.68")})
    with pytest.raises(CreditNoteRejected) as caught:
        credit_note_lines(cancelled, label="Correction", amount_excl_tax=None, cancel_all=True)
    assert caught.value.errors == {"invoice": "La facture F2026-000001 a déjà été entièrement annulée par avoir."}


def test_a_credit_note_settles_the_invoice_up_to_what_is_still_due_and_the_rest_is_owed_back():
    lines = credit_note_lines(INVOICE, label="Correction", amount_excl_tax=D("97.35"), cancel_all=False)
    assert set_off(lines, D("0.20"), invoice_due=D("1380.82")) == D("116.82")  # 97,35 + 19,47 VAT
    assert set_off(lines, D("0.20"), invoice_due=D("50.00")) == D("50.00")
    assert set_off(lines, D("0.20"), invoice_due=D("0.00")) == D("0.00")
