"""Tariff rules: the legal band of the per-capita fee and exact amounts."""

from decimal import Decimal

import pytest

from billing.tariffs.rules import Tariff, TariffRejected, check_tariff, legal_band

NBSP, NNBSP = "\u00a0", "\u202f"


def tariff(**overrides):
    values = dict(
        year=2026,
        per_capita_fee=Decimal("110.00"),
        national_average_cost=None,
        entry_fee=Decimal("30.00"),
        minimum_fee=Decimal("80.00"),
        late_hire_fee=Decimal("110.00"),
        no_show_fee=Decimal("50.00"),
    )
    values.update(overrides)
    return Tariff(**values)


def test_the_legal_band_is_80_to_120_percent_of_the_national_average_cost_to_the_cent():
    assert legal_band(Decimal("115.50")) == (Decimal("92.40"), Decimal("138.60"))
    assert legal_band(Decimal("116.00")) == (Decimal("92.80"), Decimal("139.20"))


def test_the_published_national_average_cost_of_2025_and_2026_is_used_when_none_is_given():
    assert check_tariff(tariff()).national_average_cost == Decimal("116.00")
    assert check_tariff(tariff(year=2025)).national_average_cost == Decimal("115.50")
    assert check_tariff(tariff(year=2027, national_average_cost=Decimal("118.00"))).national_average_cost == Decimal(
        "118.00"
    )


def test_the_default_sepa_discount_is_one_and_a_half_percent():
    checked = check_tariff(tariff())
    assert (checked.sepa_discount_rate, checked.vat_rate) == (Decimal("0.0150"), Decimal("0.2000"))


@pytest.mark.parametrize("fee", ["92.80", "139.20", "116.00"])
def test_a_fee_on_the_edges_of_the_band_is_accepted(fee):
    assert check_tariff(tariff(per_capita_fee=Decimal(fee))).per_capita_fee == Decimal(fee)


@pytest.mark.parametrize("fee", ["92.79", "139.21", "0.00"])
def test_a_fee_outside_the_band_is_refused_with_the_band_shown(fee):
    with pytest.raises(TariffRejected) as refused:
        check_tariff(tariff(per_capita_fee=Decimal(fee)))
    assert refused.value.errors == {
        "per_capita_fee": (
            f"La cotisation par salarié doit être comprise entre 92,80{NBSP}€ et 139,20{NBSP}€ "
            f"(80 % à 120 % du coût moyen national de 116,00{NBSP}€)."
        )
    }


def test_a_year_without_a_published_cost_needs_one_and_every_bad_field_is_reported_at_once():
    with pytest.raises(TariffRejected) as refused:
        check_tariff(
            tariff(
                year=2027,
                entry_fee=Decimal("30.005"),
                no_show_fee=Decimal("-1"),
                sepa_discount_rate=Decimal("1.5"),
                vat_rate=None,
            )
        )
    assert set(refused.value.errors) == {
        "national_average_cost",
        "entry_fee",
        "no_show_fee",
        "sepa_discount_rate",
        "vat_rate",
    }
