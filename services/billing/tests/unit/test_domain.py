"""Invoice arithmetic, settlement and validation rules, without any database."""

from datetime import date
from decimal import Decimal as D

import pytest

from billing.invoices.rules import (
    InvoiceRejected,
    IssueCommand,
    LineInput,
    Totals,
    amount_due,
    check_issue,
    invoice_number,
    line_amount,
    price_lines,
    settlement_status,
    totals,
)

MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"


def command(**overrides):
    values = dict(
        member_id=MEMBER,
        kind="cotisation",
        issued_on=date(2026, 2, 15),
        lines=(LineInput("Cotisation annuelle 2026 (12 salariés)", D("12"), D("97.35")),),
    )
    values.update(overrides)
    return IssueCommand(**values)


def test_twelve_employees_at_97_35_make_1168_20_excl_tax_233_64_vat_and_1401_84_incl_tax():
    checked = check_issue(command(), today=date(2026, 3, 1), customer_known=True)
    assert checked.lines[0].amount == D("1168.20")
    assert (checked.totals.excl_tax, checked.totals.vat, checked.totals.incl_tax) == (
        D("1168.20"),
        D("233.64"),
        D("1401.84"),
    )
    assert str(checked.totals.incl_tax) == "1401.84"


def test_line_amounts_are_rounded_half_up_to_the_cent():
    assert line_amount(D("0.50"), D("0.05")) == D("0.03")  # 0.025: half-even would give 0.02
    assert line_amount(D("1.50"), D("33.33")) == D("50.00")  # 49.995
    assert line_amount(D("3"), D("0.10")) == D("0.30")


def test_vat_is_rounded_half_up_once_on_the_total_not_per_line():
    assert totals(price_lines([LineInput("A", D("1"), D("0.25"))]), D("0.10")).vat == D("0.03")
    # Per line 0.02475 would round to 0.02 twice (0.04); on the total 0.0495 rounds to 0.05.
    two = price_lines([LineInput("A", D("1"), D("0.45")), LineInput("B", D("1"), D("0.45"))])
    assert totals(two, D("0.055")) == Totals(excl_tax=D("0.90"), vat=D("0.05"), incl_tax=D("0.95"))


def test_a_credit_note_carries_the_exact_negative_of_the_invoice_it_cancels():
    line = (LineInput("Facture d'office 2026", D("1"), D("694.80")),)
    invoice = check_issue(command(kind="facture_office", lines=line), today=date(2026, 3, 1), customer_known=True)
    credit = check_issue(
        command(kind="avoir", lines=(LineInput("Annulation", D("1"), D("-694.80")),)),
        today=date(2026, 3, 1),
        customer_known=True,
    )
    assert invoice.totals.incl_tax == D("833.76")
    assert (credit.totals.excl_tax, credit.totals.vat, credit.totals.incl_tax) == (
        D("-694.80"),
        D("-138.96"),
        D("-833.76"),
    )


@pytest.mark.parametrize(
    "paid, status",
    [
        ("0.00", "a_payer"),
        ("0.01", "partiellement_payee"),
        ("1401.83", "partiellement_payee"),
        ("1401.84", "acquittee"),
        ("1500.00", "acquittee"),
    ],
)
def test_the_status_follows_the_amount_paid(paid, status):
    assert settlement_status(D("1401.84"), D(paid)) == status


@pytest.mark.parametrize("used", ["0.00", "-100.00", "-833.76"])
def test_a_credit_note_is_never_payable_whatever_was_set_off(used):
    assert settlement_status(D("-833.76"), D(used)) == "avoir"
    assert amount_due(D("-833.76"), D(used)) == 0


def test_an_invoice_issued_with_a_partial_payment_is_partially_paid():
    checked = check_issue(command(amount_paid=D("500.00")), today=date(2026, 3, 1), customer_known=True)
    assert checked.status == "partiellement_payee"


def test_invoice_numbers_carry_the_year_and_six_digits():
    assert invoice_number(2026, 123) == "F2026-000123"
    assert invoice_number(2027, 1) == "F2027-000001"
    with pytest.raises(ValueError):
        invoice_number(2026, 0)


def test_dates_default_to_today_with_the_legal_thirty_day_term_and_the_period_to_the_year():
    checked = check_issue(command(issued_on=None, period=None), today=date(2026, 1, 20), customer_known=True)
    assert (checked.issued_on, checked.due_on, checked.period) == (date(2026, 1, 20), date(2026, 2, 19), "2026")


def test_every_invalid_field_is_reported_in_french_at_once():
    with pytest.raises(InvoiceRejected) as caught:
        check_issue(
            command(kind="remise", due_on=date(2026, 2, 1), vat_rate=D("1.5"), lines=()),
            today=date(2026, 3, 1),
            customer_known=False,
        )
    assert set(caught.value.errors) == {"member_id", "kind", "due_on", "vat_rate", "lines"}
    assert caught.value.errors["due_on"] == "L'échéance ne peut pas précéder la date d'émission."


@pytest.mark.parametrize(
    "line, message",
    [
        (LineInput(" ", D("1"), D("10")), "Ligne 1 : le libellé"),
        (LineInput("A", D("1"), D("97.355")), "Ligne 1 : quantité et prix unitaire ont au plus deux décimales."),
        (LineInput("A", D("0"), D("10")), "Ligne 1 : la quantité doit être positive."),
    ],
)
def test_a_bad_line_is_reported_with_its_rank(line, message):
    with pytest.raises(InvoiceRejected) as caught:
        check_issue(command(lines=(line,)), today=date(2026, 3, 1), customer_known=True)
    assert caught.value.errors["lines"].startswith(message)


def test_a_credit_note_must_be_negative_and_an_invoice_positive():
    positive = (LineInput("A", D("1"), D("10")),)
    with pytest.raises(InvoiceRejected) as caught:
        check_issue(command(kind="avoir", lines=positive), today=date(2026, 3, 1), customer_known=True)
    assert caught.value.errors == {"lines": "Un avoir porte un montant négatif."}
    with pytest.raises(InvoiceRejected) as caught:
        check_issue(command(lines=(LineInput("A", D("1"), D("-10")),)), today=date(2026, 3, 1), customer_known=True)
    assert "avoir" in caught.value.errors["lines"]


@pytest.mark.parametrize("paid", ["-1.00", "1401.85"])
def test_an_amount_paid_outside_zero_and_the_total_is_refused(paid):
    with pytest.raises(InvoiceRejected) as caught:
        check_issue(command(amount_paid=D(paid)), today=date(2026, 3, 1), customer_known=True)
    assert set(caught.value.errors) == {"amount_paid"}
