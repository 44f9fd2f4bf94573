"""Ledger rules: entry kinds, the account summary every page and the API show, and the refusals of what would
exceed what is due or what is held for the member."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from portal_common.errors import FieldErrors
from portal_common.formats import money_fr

from ..invoices.rules import CENT, MAX_AMOUNT, ZERO


class LedgerKind(StrEnum):
    """What an entry records (the stored value)."""

    INVOICE = "facture"
    CREDIT_NOTE = "avoir"
    PAYMENT = "reglement"  # card, transfer, cheque
    SEPA_COLLECTED = "prelevement"
    SEPA_REJECTED = "rejet_prelevement"
    REFUND = "remboursement"
    OFFSET = "imputation"  # credit held for the member set off against an invoice (no change of balance)


LEDGER_LABELS = {
    LedgerKind.INVOICE: "Facture",
    LedgerKind.CREDIT_NOTE: "Avoir",
    LedgerKind.PAYMENT: "Règlement",
    LedgerKind.SEPA_COLLECTED: "Prélèvement SEPA",
    LedgerKind.SEPA_REJECTED: "Rejet de prélèvement",
    LedgerKind.REFUND: "Remboursement",
    LedgerKind.OFFSET: "Imputation du crédit",
}


@dataclass(frozen=True)
class YearSummary:
    """One year of a member's contributions, as « Historique des cotisations » shows it."""

    year: str
    headcount: int | None
    invoiced: Decimal
    credited: Decimal
    settled: Decimal


class RefundRejected(FieldErrors):
    """A refund or offset the rules refuse, with the amount allowed."""


@dataclass(frozen=True)
class Account:
    """A member's account as the ledger says it: what every page, PDF and the API show.

    balance: sum of the entries (positive: owed by the member; negative: owed to the member);
    due: what open invoices still wait for (sum of their « reste à payer »);
    credit: money held for the member not yet set off (payments beyond their invoice, credit notes beyond
    what they corrected), never negative;
    pending: SEPA debits sent to the bank and not collected yet (« Prélèvement en cours »): still part of the
    balance and the dues until their collection date, when they become payments.
    """

    balance: Decimal
    due: Decimal
    credit: Decimal
    pending: Decimal = ZERO

    @property
    def creditor(self) -> bool:
        """« Solde créditeur »: the member is owed money."""
        return self.balance < ZERO

    @property
    def label(self) -> str:
        return "Solde créditeur" if self.creditor else "Solde restant dû"


def account(balance: Decimal, due: Decimal, pending: Decimal = ZERO) -> Account:
    """The account from the ledger's balance and the open invoices' dues (credit = due - balance)."""
    return Account(balance=balance, due=due, credit=due - balance, pending=pending)


def check_refund(amount: Decimal, credit: Decimal) -> Decimal:
    """A refund (or an offset) takes at most the credit held for the member."""
    try:
        exact = amount.is_finite() and amount == amount.quantize(CENT)
    except InvalidOperation:
        exact = False
    if not (exact and ZERO < amount <= MAX_AMOUNT):
        raise RefundRejected({"amount": "Le montant est positif, en euros, avec au plus deux décimales."})
    if amount > credit:
        allowed = money_fr(max(credit, ZERO))
        raise RefundRejected({"amount": f"Le montant dépasse le crédit de l'adhérent ({allowed} au plus)."})
    return amount


class ViolationKind(StrEnum):
    """What `python -m billing.audit` reports (the printed value)."""

    DUPLICATE_ANNUAL = "duplicate-live-annual-invoice"
    PAYABLE_CREDIT_NOTE = "payable-credit-note"
    LEDGER_MISMATCH = "ledger-balance-mismatch"
    OVER_ALLOCATED = "allocation-above-due"
    NUMBERING_GAP = "numbering-gap"


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    subject: str
    detail: str

    def line(self) -> str:
        return f"{self.kind}\t{self.subject}\t{self.detail}"


def numbering_gaps(year: int, ranks: list[int], last_number: int | None) -> list[str]:
    """What is wrong with a year's invoice numbers: ranks 1..n each once, n the sequence's last number."""
    problems = []
    expected = set(range(1, (last_number or 0) + 1))
    missing = sorted(expected - set(ranks))
    if missing:
        shown = ", ".join(f"F{year:04d}-{rank:06d}" for rank in missing[:10])
        problems.append(f"{len(missing)} number(s) missing: {shown}")
    beyond = sorted(set(ranks) - expected)
    if beyond:
        problems.append(f"{len(beyond)} number(s) beyond the sequence's last ({last_number or 0})")
    if len(ranks) != len(set(ranks)):
        problems.append("a number is used twice")
    return problems
