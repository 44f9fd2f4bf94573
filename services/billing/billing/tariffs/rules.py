"""Yearly tariff rules: the fees staff configure and the legal band the per-capita fee must respect."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation

from portal_common.errors import FieldErrors
from portal_common.formats import money_fr

from ..invoices.rules import CENT, ZERO, to_cents

# Coût moyen national per worker followed, fixed each year by arrêté (D4622-27-5).
NATIONAL_AVERAGE_COST = {2025: Decimal("115.50"), 2026: Decimal("116.00")}
# The per-capita fee must lie within 80 % and 120 % of it (D4622-27-6).
BAND_LOW, BAND_HIGH = Decimal("0.80"), Decimal("1.20")
MAX_FEE = Decimal("100000.00")
RATE_PLACES = Decimal("0.0001")

AMOUNT_FIELDS = ("per_capita_fee", "national_average_cost", "entry_fee", "minimum_fee", "late_hire_fee", "no_show_fee")
RATE_FIELDS = ("sepa_discount_rate", "vat_rate", "multi_employer_share", "estimate_uplift_rate")
FIELD_LABELS = {
    "per_capita_fee": "Cotisation par salarié suivi",
    "national_average_cost": "Coût moyen national",
    "entry_fee": "Droit d'entrée",
    "minimum_fee": "Cotisation minimale",
    "late_hire_fee": "Embauche après la déclaration",
    "no_show_fee": "Absence non excusée",
    "sepa_discount_rate": "Remise prélèvement SEPA",
    "vat_rate": "Taux de TVA",
    "multi_employer_share": "Quote-part multi-employeurs",
    "estimate_uplift_rate": "Majoration de la facture d'office",
}
DEFAULT_RATES = {
    "sepa_discount_rate": Decimal("0.0150"),
    "vat_rate": Decimal("0.2000"),
    "multi_employer_share": Decimal("0.5000"),
    "estimate_uplift_rate": Decimal("0.1000"),
}


class TariffRejected(FieldErrors):
    """A tariff the rules refuse, with a French message per field."""


class StaleTariff(Exception):
    """A save based on a version of the year's tariff that someone has changed since (0: none existed)."""

    def __init__(self, current_version: int):
        super().__init__(f"tariff changed since the version read (now {current_version})")
        self.current_version = current_version


@dataclass(frozen=True)
class Tariff:
    """The fees of one calendar year; amounts HT in euros, rates as fractions (0.015 = 1,5 %)."""

    year: int
    per_capita_fee: Decimal
    national_average_cost: Decimal | None
    entry_fee: Decimal
    minimum_fee: Decimal
    late_hire_fee: Decimal
    no_show_fee: Decimal
    sepa_discount_rate: Decimal = DEFAULT_RATES["sepa_discount_rate"]
    vat_rate: Decimal = DEFAULT_RATES["vat_rate"]
    multi_employer_share: Decimal = DEFAULT_RATES["multi_employer_share"]
    estimate_uplift_rate: Decimal = DEFAULT_RATES["estimate_uplift_rate"]

    def values(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def sepa_saving(instalment: Decimal, rate: Decimal) -> Decimal:
    """What the SEPA discount takes off an instalment: the rate of the amount, to the cent, as the discount line
    of an annual fee takes it off the fee (invoices.annual.annual_lines; VAT follows the same share)."""
    return to_cents(instalment * rate)


def legal_band(national_average_cost: Decimal) -> tuple[Decimal, Decimal]:
    return to_cents(national_average_cost * BAND_LOW), to_cents(national_average_cost * BAND_HIGH)


def _amount_ok(value: Decimal | None) -> bool:
    try:
        return value is not None and value.is_finite() and value == value.quantize(CENT) and ZERO <= value <= MAX_FEE
    except InvalidOperation:
        return False


def _rate_ok(value: Decimal | None, *, below_one: bool = True) -> bool:
    try:
        return (
            value is not None
            and value.is_finite()
            and value == value.quantize(RATE_PLACES)
            and value >= 0
            and (value < 1 if below_one else value <= 1)
        )
    except InvalidOperation:
        return False


def check_tariff(tariff: Tariff) -> Tariff:
    """Validate a tariff; the national average cost defaults to the published one of that year."""
    errors: dict[str, str] = {}
    if not 2000 <= tariff.year <= 2100:
        errors["year"] = "L'année doit être comprise entre 2000 et 2100."
    cost = tariff.national_average_cost or NATIONAL_AVERAGE_COST.get(tariff.year)
    if cost is None:
        errors["national_average_cost"] = "Indiquez le coût moyen national de l'année (arrêté annuel)."
    elif not (_amount_ok(cost) and cost > 0):
        errors["national_average_cost"] = "Le coût moyen national est un montant positif en euros (exemple : 116,00)."
    for name in AMOUNT_FIELDS[2:]:
        if not _amount_ok(getattr(tariff, name)):
            errors[name] = f"{FIELD_LABELS[name]} : un montant en euros, au plus deux décimales (exemple : 50,00)."
    for name in RATE_FIELDS:
        if not _rate_ok(getattr(tariff, name), below_one=name != "multi_employer_share"):
            errors[name] = f"{FIELD_LABELS[name]} : un pourcentage entre 0 et 100, au plus deux décimales."
    fee = tariff.per_capita_fee
    if not _amount_ok(fee):
        errors["per_capita_fee"] = "La cotisation par salarié est un montant en euros, au plus deux décimales."
    elif cost is not None and "national_average_cost" not in errors:
        low, high = legal_band(cost)
        if not low <= fee <= high:
            errors["per_capita_fee"] = (
                f"La cotisation par salarié doit être comprise entre {money_fr(low)} et {money_fr(high)} "
                f"(80 % à 120 % du coût moyen national de {money_fr(cost)})."
            )
    if errors:
        raise TariffRejected(errors)
    return replace(tariff, national_average_cost=cost)
