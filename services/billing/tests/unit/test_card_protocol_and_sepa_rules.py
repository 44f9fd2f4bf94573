"""The card provider protocol (signing, notification checks) and the SEPA rules, without database or network."""

from datetime import date
from decimal import Decimal

import pytest

from billing.payments.provider import NotificationRejected, PaymentRequest, read_notification, sign, signature_matches
from billing.sepa.rules import (
    FIRST,
    RECURRING,
    CorrectedPrenotification,
    Prenotification,
    collection_date,
    lowered_amounts,
    may_debit,
    sequence_type,
)

KEY = "k" * 40


def notice(**overrides):
    fields = {
        "merchant_id": "spsti",
        "reference": "CB0123456789ABCDEF0123",
        "transaction_id": "T1",
        "status": "paid",
        "amount": "140184",
        "currency": "EUR",
        "paid_at": "2026-03-10T09:00:00+00:00",
    }
    fields.update(overrides)
    fields["signature"] = sign(fields, KEY)
    return fields


def test_a_signed_notification_is_read_with_its_exact_amount_in_euros():
    read = read_notification(notice(), key=KEY, merchant_id="spsti")
    assert (read.reference, read.amount, read.paid) == ("CB0123456789ABCDEF0123", Decimal("1401.84"), True)


@pytest.mark.parametrize(
    "tamper, reason",
    [
        (lambda f: f | {"amount": "1"}, "bad signature"),
        (lambda f: f | {"signature": "0" * 64}, "bad signature"),
        (lambda f: {k: v for k, v in f.items() if k != "paid_at"}, "missing or unexpected fields"),
        (lambda f: f | {"note": "x"}, "missing or unexpected fields"),
    ],
)
def test_a_tampered_or_incomplete_notification_is_rejected(tamper, reason):
    with pytest.raises(NotificationRejected) as refused:
        read_notification(tamper(notice()), key=KEY, merchant_id="spsti")
    assert refused.value.reason == reason


def test_a_well_signed_notification_for_another_merchant_or_malformed_is_rejected():
    for fields, reason in (
        (notice(merchant_id="other"), "another merchant"),
        (notice(amount="-5"), "malformed fields"),
        (notice(status="maybe"), "malformed fields"),
        (notice(currency="USD"), "malformed fields"),
    ):
        with pytest.raises(NotificationRejected, match=reason):
            read_notification(fields, key=KEY, merchant_id="spsti")
    with pytest.raises(NotificationRejected, match="not configured"):
        read_notification(notice(), key="", merchant_id="spsti")


def test_the_redirect_carries_the_amount_in_cents_and_a_signature_over_every_field():
    request = PaymentRequest(
        merchant_id="spsti",
        reference="CB0123456789ABCDEF0123",
        amount=Decimal("700.92"),
        return_url="https://portail/retour",
        notify_url="https://portail/notification",
    )
    url = request.redirect_url("https://provider.example/", KEY)
    assert url.startswith("https://provider.example/payer?") and "amount=70092" in url
    fields = request.fields()
    assert signature_matches(fields | {"signature": sign(fields, KEY)}, KEY)
    assert not signature_matches(fields | {"amount": "1", "signature": sign(fields, KEY)}, KEY)


def test_a_debit_is_collected_at_least_14_days_after_its_prenotification_and_never_on_a_weekend():
    notified = date(2026, 3, 2)  # a Monday
    assert collection_date(date(2026, 5, 15), notified_on=notified) == date(2026, 5, 15)
    assert collection_date(date(2026, 3, 5), notified_on=notified) == date(2026, 3, 16)
    assert collection_date(date(2026, 5, 16), notified_on=notified) == date(2026, 5, 18)  # Saturday → Monday
    with pytest.raises(ValueError):
        collection_date(date(2026, 5, 15), notified_on=notified, prenotice_days=7)


def test_the_first_debit_of_a_mandate_is_frst_then_rcur_and_collective_proceedings_stop_debits():
    assert (sequence_type(0), sequence_type(1), sequence_type(5)) == (FIRST, RECURRING, RECURRING)
    assert may_debit("active", None) and may_debit("active", "cession_fonds")
    assert not may_debit("revoked", None) and not may_debit("active", "liquidation_judiciaire")


def test_the_prenotification_states_the_rum_the_ics_the_amount_and_the_date_in_french():
    mail = Prenotification(
        invoice_number="F2026-000123",
        mandate_reference="ADH1000001-20260301-01",
        creditor_identifier="FR12ZZZ123456",
        creditor_name="SPSTI",
        amount=Decimal("1458.22"),
        collection_date=date(2026, 5, 15),
        instalment="1/3",
    )
    assert mail.subject() == "Prélèvement SEPA du 15/05/2026 : facture F2026-000123"
    body = mail.body()
    for expected in (
        "Référence unique du mandat (RUM) : ADH1000001-20260301-01",
        "Identifiant créancier SEPA (ICS) : FR12ZZZ123456",
        "Montant : 1\u202f458,22\u00a0€",
        "Date du prélèvement : 15/05/2026",
        "échéance 1/3 de la facture F2026-000123",
    ):
        assert expected in body


def test_lowering_pending_debits_takes_from_the_latest_instalments_first():
    three = [Decimal("2000.00")] * 3
    assert lowered_amounts(three, Decimal("3000.00")) == [Decimal("2000.00"), Decimal("1000.00"), Decimal("0.00")]
    assert lowered_amounts(three, Decimal("5999.99")) == [Decimal("2000.00"), Decimal("2000.00"), Decimal("1999.99")]
    assert lowered_amounts([Decimal("333.34"), Decimal("333.33"), Decimal("333.33")], Decimal("500.00")) == [
        Decimal("333.34"),
        Decimal("166.66"),
        Decimal("0.00"),
    ]


def test_debits_within_what_is_due_are_kept_and_nothing_due_cancels_them_all():
    three = [Decimal("2000.00")] * 3
    assert lowered_amounts(three, Decimal("6000.00")) == three
    assert lowered_amounts(three, Decimal("9000.00")) == three
    assert lowered_amounts(three, Decimal("0.00")) == [Decimal("0.00")] * 3
    assert lowered_amounts(three, Decimal("-150.00")) == [Decimal("0.00")] * 3  # a credit balance owes nothing
    assert lowered_amounts([], Decimal("10.00")) == []


def _notice(amount: str) -> Prenotification:
    return Prenotification(
        invoice_number="F2026-000123",
        mandate_reference="ADH1000001-20260301-01",
        creditor_identifier="FR12ZZZ123456",
        creditor_name="SPSTI",
        amount=Decimal(amount),
        collection_date=date(2026, 7, 15),
        instalment="2/3",
    )


def test_a_lowered_debit_is_announced_again_with_its_new_amount_and_the_same_date_in_french():
    mail = CorrectedPrenotification(
        notice=_notice("1000.00"), previous_amount=Decimal("2000.00"), reason="d'un avoir émis sur cette facture"
    )
    assert mail.subject() == "Prélèvement SEPA du 15/07/2026 modifié : facture F2026-000123"
    body = mail.body()
    for expected in (
        "À la suite d'un avoir émis sur cette facture, le prélèvement annoncé pour le 15/07/2026 "
        "(échéance 2/3 de la facture F2026-000123) est réduit : SPSTI prélèvera 1\u202f000,00\u00a0€ "
        "au lieu de 2\u202f000,00\u00a0€ sur votre compte le 15/07/2026.",
        "Référence unique du mandat (RUM) : ADH1000001-20260301-01",
        "Identifiant créancier SEPA (ICS) : FR12ZZZ123456",
        "Montant : 1\u202f000,00\u00a0€",
        "Date du prélèvement : 15/07/2026",
        "remplace la pré-notification précédente",
    ):
        assert expected in body


def test_a_debit_lowered_to_nothing_is_announced_as_cancelled():
    mail = CorrectedPrenotification(
        notice=_notice("0.00"), previous_amount=Decimal("2000.00"), reason="d'un règlement reçu pour cette facture"
    )
    assert mail.cancelled
    assert mail.subject() == "Prélèvement SEPA du 15/07/2026 annulé : facture F2026-000123"
    body = mail.body()
    assert (
        "le prélèvement de 2\u202f000,00\u00a0€ annoncé pour le 15/07/2026 (échéance 2/3 de la facture "
        "F2026-000123) est annulé : rien ne sera prélevé sur votre compte à cette date."
    ) in body
    assert "Date du prélèvement : aucune" in body and "prélèvera" not in body
