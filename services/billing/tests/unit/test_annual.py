"""The annual fee of a declaration: lines per category, share, minimum, entry fee, discount, instalments."""

from datetime import date
from decimal import Decimal

import pytest

from billing.invoices.annual import (
    Declaration,
    DeclarationInvalid,
    annual_lines,
    instalment_count,
    instalments,
    schedule_for,
)
from billing.invoices.rules import IssueCommand, check_issue
from billing.tariffs.rules import Tariff, check_tariff

TARIFF = check_tariff(
    Tariff(
        year=2026,
        per_capita_fee=Decimal("97.35"),
        national_average_cost=None,
        entry_fee=Decimal("30.00"),
        minimum_fee=Decimal("150.00"),
        late_hire_fee=Decimal("97.35"),
        no_show_fee=Decimal("50.00"),
    )
)


def declaration(headcount, multi=None):
    return Declaration.from_event(
        {
            "declaration_id": "d-1",
            "member_id": "m-1",
            "year": 2026,
            "headcount": headcount,
            "multi_employer": multi or {},
            "version": 1,
        }
    )


def priced(lines):
    return check_issue(
        IssueCommand(
            member_id="m-1", kind="cotisation", lines=lines, vat_rate=TARIFF.vat_rate, issued_on=date(2026, 2, 2)
        ),
        today=date(2026, 2, 2),
        customer_known=True,
    )


def test_lines_per_category_and_the_multi_employer_share_each_rounded_to_the_cent():
    lines = annual_lines(
        TARIFF, declaration({"SI": 10, "SIA": 2, "SIR": 1}, {"SIR": 3}), new_member=False, sepa_debit=False
    )
    assert [(line.label, line.quantity, line.unit_price) for line in lines] == [
        ("Cotisation 2026 : salariés en suivi individuel simple (SI)", 10, Decimal("97.35")),
        ("Cotisation 2026 : salariés en suivi individuel adapté (SIA)", 2, Decimal("97.35")),
        ("Cotisation 2026 : salariés en suivi individuel renforcé (SIR)", 1, Decimal("97.35")),
        # Half of 97,35 is 48,675: rounded half up to 48,68 before multiplying.
        ("Cotisation 2026 : quote-part multi-employeurs (SIR)", 3, Decimal("48.68")),
    ]
    invoice = priced(lines)
    assert (invoice.totals.excl_tax, invoice.totals.vat, invoice.totals.incl_tax) == (
        Decimal("1411.59"),
        Decimal("282.32"),
        Decimal("1693.91"),
    )


def test_the_sepa_discount_and_the_entry_fee_of_a_new_member():
    lines = annual_lines(TARIFF, declaration({"SI": 12}), new_member=True, sepa_debit=True)
    assert [line.label for line in lines][1:] == ["Droit d'entrée (nouvel adhérent)", "Remise prélèvement SEPA (1,5 %)"]
    # 12 × 97,35 = 1 168,20 + 30,00 = 1 198,20; 1,5 % = 17,973 → 17,97 off.
    assert lines[-1].unit_price == Decimal("-17.97")
    invoice = priced(lines)
    assert (invoice.totals.excl_tax, invoice.totals.vat, invoice.totals.incl_tax) == (
        Decimal("1180.23"),
        Decimal("236.05"),
        Decimal("1416.28"),
    )


def test_a_small_company_pays_the_minimum_fee_and_a_company_with_nobody_owes_the_minimum():
    small = annual_lines(TARIFF, declaration({"SI": 1}), new_member=False, sepa_debit=False)
    assert small[-1].label == "Complément à la cotisation minimale 2026"
    assert small[-1].unit_price == Decimal("52.65")
    assert priced(small).totals.excl_tax == Decimal("150.00")
    nobody = annual_lines(TARIFF, declaration({"SI": 0, "SIA": 0, "SIR": 0}), new_member=False, sepa_debit=False)
    assert [(line.quantity, line.unit_price) for line in nobody] == [(1, Decimal("150.00"))]


def test_a_declaration_with_a_negative_or_fractional_count_is_refused():
    with pytest.raises(DeclarationInvalid):
        declaration({"SI": -1})
    with pytest.raises(DeclarationInvalid):
        declaration({"SI": 1.5})


@pytest.mark.parametrize(
    ("amount", "count"),
    [("999.99", 1), ("1000.00", 1), ("1000.01", 2), ("5000.00", 2), ("5000.01", 3), ("20000.00", 3), ("20000.01", 4)],
)
def test_the_number_of_instalments_follows_the_amount_thresholds(amount, count):
    assert instalment_count(Decimal(amount)) == count


def test_instalments_add_up_to_the_total_two_months_apart_with_the_odd_cent_first():
    assert instalments(Decimal("1458.22"), date(2026, 3, 15), 3) == (
        (date(2026, 3, 15), Decimal("486.08")),
        (date(2026, 5, 15), Decimal("486.07")),
        (date(2026, 7, 15), Decimal("486.07")),
    )
    # A due date on the 31st falls on the last day of shorter months.
    assert [due for due, _ in instalments(Decimal("30000.00"), date(2026, 8, 31), 4)] == [
        date(2026, 8, 31),
        date(2026, 10, 31),
        date(2026, 12, 31),
        date(2027, 2, 28),
    ]


def test_only_annual_fees_are_spread_and_a_credit_note_has_no_schedule():
    assert len(schedule_for("cotisation", Decimal("1693.91"), date(2026, 3, 4))) == 2
    assert len(schedule_for("absence", Decimal("1693.91"), date(2026, 3, 4))) == 1
    assert schedule_for("avoir", Decimal("-1693.91"), date(2026, 3, 4)) == ()
