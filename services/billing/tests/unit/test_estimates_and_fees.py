"""Estimated invoices on the last known headcount with the uplift; no-show and late-hire fees."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from billing.campaign.rules import CampaignClosed, Undeclared, estimate_lines
from billing.fees.rules import Hire, RecordedOutcome, is_late_hire, late_hire_lines, no_show_lines
from billing.invoices.annual import DeclarationInvalid
from billing.invoices.rules import price_lines, totals
from billing.tariffs.rules import Tariff, check_tariff

TARIFF = check_tariff(
    Tariff(
        year=2026,
        per_capita_fee=D("97.35"),
        national_average_cost=None,
        entry_fee=D("30.00"),
        minimum_fee=D("150.00"),
        late_hire_fee=D("110.00"),
        no_show_fee=D("50.00"),
    )
)
MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"


def undeclared(headcount, multi=None):
    return Undeclared(
        MEMBER, {"SI": 0, "SIA": 0, "SIR": 0, **headcount}, {"SI": 0, "SIA": 0, "SIR": 0, **(multi or {})}
    )


def test_an_estimate_bills_the_known_headcount_plus_the_ten_percent_uplift():
    lines = estimate_lines(TARIFF, 2026, undeclared({"SI": 8, "SIA": 1}, {"SI": 1}), new_member=False, sepa_debit=False)
    assert [(line.label, line.quantity, line.unit_price) for line in lines] == [
        ("Cotisation 2026 : salariés en suivi individuel simple (SI)", 8, D("97.35")),
        ("Cotisation 2026 : salariés en suivi individuel adapté (SIA)", 1, D("97.35")),
        ("Cotisation 2026 : quote-part multi-employeurs (SI)", 1, D("48.68")),
        ("Majoration de la facture d'office (10 %)", 1, D("92.48")),
    ]  # 10 % of 924,83 = 92,483
    total = totals(price_lines(lines), TARIFF.vat_rate)
    assert (total.excl_tax, total.vat, total.incl_tax) == (D("1017.31"), D("203.46"), D("1220.77"))


def test_an_estimate_with_no_employee_known_is_the_uplifted_minimum_fee_and_keeps_entry_fee_and_discount():
    lines = estimate_lines(TARIFF, 2026, undeclared({}), new_member=True, sepa_debit=True)
    assert [(line.label, line.unit_price) for line in lines] == [
        ("Complément à la cotisation minimale 2026", D("150.00")),
        ("Majoration de la facture d'office (10 %)", D("15.00")),
        ("Droit d'entrée (nouvel adhérent)", D("30.00")),
        ("Remise prélèvement SEPA (1,5 %)", D("-2.93")),
    ]  # 1,5 % of 195,00 = 2,925 → 2,93


def test_the_closing_event_is_read_with_the_declaration_rules_for_headcounts():
    closed = CampaignClosed.from_event(
        {
            "campaign_id": "5a0c3e1d-2b4f-4c6a-9e8d-7f6a5b4c3d2e",
            "year": 2026,
            "closed_at": "2026-02-01T08:00:00Z",
            "undeclared": [
                {
                    "member_id": MEMBER,
                    "headcount": {"SI": 8, "SIA": 1, "SIR": 0},
                    "multi_employer": {"SI": 1, "SIA": 0, "SIR": 0},
                }
            ],
        }
    )
    assert closed.closed_at == datetime(2026, 2, 1, 8, tzinfo=UTC)
    assert closed.undeclared == (Undeclared(MEMBER, {"SI": 8, "SIA": 1, "SIR": 0}, {"SI": 1, "SIA": 0, "SIR": 0}),)
    with pytest.raises(DeclarationInvalid):
        CampaignClosed.from_event(
            {
                "campaign_id": "c",
                "year": 2026,
                "closed_at": "2026-02-01T08:00:00Z",
                "undeclared": [{"member_id": MEMBER, "headcount": {"SI": -1}, "multi_employer": {}}],
            }
        )


def test_a_no_show_is_billed_at_the_tariff_fee_dated_in_paris_time_without_naming_the_employee():
    missed = RecordedOutcome.from_missed(
        {
            "appointment_id": "a" * 36,
            "member_id": MEMBER,
            "employee_id": "e" * 36,
            "starts_at": "2026-01-15T08:30:00Z",
            "visit_type": "reprise",
            "version": 3,
        }
    )
    assert [(line.label, line.quantity, line.unit_price) for line in no_show_lines(TARIFF, missed)] == [
        ("Absence non excusée au rendez-vous du 15/01/2026 à 09:30", 1, D("50.00"))
    ]
    free = Tariff(**{**TARIFF.values(), "no_show_fee": D("0.00")})
    assert no_show_lines(free, missed) == ()


def test_a_late_hire_is_one_after_1_january_of_a_year_the_company_declared():
    assert is_late_hire(date(2026, 3, 2), 2026)
    assert is_late_hire(date(2026, 1, 5), 2026)  # the declaration counted the list at 1 January
    assert not is_late_hire(date(2026, 1, 1), 2026)  # present on 1 January: in the declaration
    assert not is_late_hire(date(2025, 11, 3), 2026)
    assert not is_late_hire(date(2026, 3, 2), None)  # no declaration of that year: nothing apart
    hire = Hire.from_event(
        {
            "employee_id": "e" * 36,
            "member_id": MEMBER,
            "hire_date": "2026-03-02",
            "monitoring_category": "SIR",
            "last_name": "DUPONT",
        }
    )
    assert [(line.label, line.unit_price) for line in late_hire_lines(TARIFF, hire)] == [
        ("Embauche après la déclaration 2026 : DUPONT entré(e) le 02/03/2026 (SIR)", D("110.00"))
    ]
