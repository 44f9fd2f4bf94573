"""The company's statement ("Mon échéancier"): debits, credits and the running balance, in date order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..invoices.rules import ZERO


@dataclass(frozen=True)
class Entry:
    """One line before the balance is known: an instalment due, a credit note, or a payment received."""

    number: str
    issued_on: date
    due_on: date
    kind_label: str
    period: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


@dataclass(frozen=True)
class StatementRow:
    entry: Entry
    balance: Decimal


def statement(entries: list[Entry]) -> list[StatementRow]:
    """Ordered by due date (then issue date); the balance is what the company owes, negative for a credit."""
    rows, balance = [], ZERO
    for entry in sorted(entries, key=lambda e: (e.due_on, e.issued_on, e.number, e.credit)):
        balance += entry.debit - entry.credit
        rows.append(StatementRow(entry, balance))
    return rows
