"""The annual fee from a confirmed headcount declaration, and how an amount splits into instalments."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from portal_common.vocabulary import MonitoringCategory

from ..tariffs.rules import Tariff
from .rules import ANNUAL_KINDS, CENT, ZERO, LineInput, line_amount, to_cents

CATEGORIES = tuple(MonitoringCategory)
CATEGORY_LABELS = {
    MonitoringCategory.SI: "suivi individuel simple",
    MonitoringCategory.SIA: "suivi individuel adapté",
    MonitoringCategory.SIR: "suivi individuel renforcé",
}
# Amount TTC up to which an annual invoice is paid in that many instalments; above the last, four.
INSTALMENT_THRESHOLDS = ((Decimal("1000.00"), 1), (Decimal("5000.00"), 2), (Decimal("20000.00"), 3))
MAX_INSTALMENTS = 4
MONTHS_BETWEEN_INSTALMENTS = 2
MAX_HEADCOUNT = 1_000_000


class DeclarationInvalid(ValueError):
    """A declaration event billing cannot price (never retried with success)."""


@dataclass(frozen=True)
class Declaration:
    """A confirmed annual headcount declaration as workforce describes it."""

    declaration_id: str
    member_id: str
    year: int
    headcount: dict[str, int]
    multi_employer: dict[str, int]
    version: int

    @classmethod
    def from_event(cls, data: dict) -> Declaration:
        def counts(raw: dict) -> dict[str, int]:
            found = {category: raw.get(category, 0) for category in CATEGORIES}
            if any(
                not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_HEADCOUNT for n in found.values()
            ):
                raise DeclarationInvalid("headcounts are whole numbers from 0")
            return found

        return cls(
            declaration_id=data["declaration_id"],
            member_id=data["member_id"],
            year=int(data["year"]),
            headcount=counts(data["headcount"]),
            multi_employer=counts(data.get("multi_employer") or {}),
            version=int(data["version"]),
        )


def annual_lines(
    tariff: Tariff, declaration: Declaration, *, new_member: bool, sepa_debit: bool, uplift_rate: Decimal = ZERO
) -> tuple[LineInput, ...]:
    """Lines per category, the multi-employer share, the minimum fee, the estimate's uplift (an estimated
    invoice only), the entry fee, then the SEPA discount.

    Every line is rounded to the cent on its own; the uplift and the discount are computed on the sum of
    the rounded lines before them.
    """
    year, fee = declaration.year, tariff.per_capita_fee
    lines: list[LineInput] = []
    for category in CATEGORIES:
        count = declaration.headcount[category]
        if count:
            lines.append(
                LineInput(
                    f"Cotisation {year} : salariés en {CATEGORY_LABELS[category]} ({category})", Decimal(count), fee
                )
            )
    share_price = to_cents(fee * tariff.multi_employer_share)
    for category in CATEGORIES:
        count = declaration.multi_employer[category]
        if count and share_price:
            lines.append(
                LineInput(f"Cotisation {year} : quote-part multi-employeurs ({category})", Decimal(count), share_price)
            )
    subtotal = _sum(lines)
    if subtotal < tariff.minimum_fee:
        lines.append(
            LineInput(f"Complément à la cotisation minimale {year}", Decimal(1), tariff.minimum_fee - subtotal)
        )
    uplift = to_cents(_sum(lines) * uplift_rate)
    if uplift:
        lines.append(
            LineInput(f"Majoration de la facture d'office ({percent_text(uplift_rate)} %)", Decimal(1), uplift)
        )
    if new_member and tariff.entry_fee:
        lines.append(LineInput("Droit d'entrée (nouvel adhérent)", Decimal(1), tariff.entry_fee))
    discount = to_cents(_sum(lines) * tariff.sepa_discount_rate) if sepa_debit else ZERO
    if discount:
        lines.append(
            LineInput(f"Remise prélèvement SEPA ({percent_text(tariff.sepa_discount_rate)} %)", Decimal(1), -discount)
        )
    return tuple(lines)


def percent_text(rate: Decimal) -> str:
    """0.015 → "1,5" (a rate shown as a French percentage, without useless zeros)."""
    return f"{rate * 100:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def _sum(lines: list[LineInput]) -> Decimal:
    return sum((line_amount(line.quantity, line.unit_price) for line in lines), ZERO)


def instalment_count(amount_incl_tax: Decimal) -> int:
    for ceiling, count in INSTALMENT_THRESHOLDS:
        if amount_incl_tax <= ceiling:
            return count
    return MAX_INSTALMENTS


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def instalments(amount_incl_tax: Decimal, first_due_on: date, count: int) -> tuple[tuple[date, Decimal], ...]:
    """Equal instalments two months apart; the cent left over by the split goes on the first one."""
    if count < 1:
        raise ValueError("at least one instalment")
    share = (amount_incl_tax / count).quantize(CENT, rounding=ROUND_DOWN)
    first = amount_incl_tax - share * (count - 1)
    return tuple(
        (add_months(first_due_on, MONTHS_BETWEEN_INSTALMENTS * rank), first if rank == 0 else share)
        for rank in range(count)
    )


def schedule_for(kind: str, amount_incl_tax: Decimal, first_due_on: date) -> tuple[tuple[date, Decimal], ...]:
    """Annual fees (real or estimated) are spread over the year; every other invoice is due at once; a credit
    note has no schedule (it is never payable)."""
    if amount_incl_tax < 0:
        return ()
    count = instalment_count(amount_incl_tax) if kind in ANNUAL_KINDS and amount_incl_tax > 0 else 1
    return instalments(amount_incl_tax, first_due_on, count)
