"""Credit note rules: what a credit note may take back from the invoice it corrects, and how it is set off."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from portal_common.errors import FieldErrors
from portal_common.formats import money_fr

from ..invoices.rules import CENT, ZERO, InvoiceKind, LineInput, PricedLine, price_lines, totals

MAX_LABEL = 200


class CreditNoteReason(StrEnum):
    """Why a credit note was issued, as its event tells it."""

    CORRECTION = "correction"
    ESTIMATE_CANCELLED = "estimate_cancelled"
    OTHER = "other"


class CreditNoteRejected(FieldErrors):
    """A credit note the rules refuse, with a French message per field."""


@dataclass(frozen=True)
class CorrectedInvoice:
    """The invoice a credit note corrects, and what earlier credit notes already took back from it (HT)."""

    number: str
    kind: str
    amount_excl_tax: Decimal
    lines: tuple[PricedLine, ...]
    already_credited: Decimal = ZERO

    @property
    def creditable(self) -> Decimal:
        """What may still be credited, excluding tax."""
        return self.amount_excl_tax - self.already_credited


def credit_note_lines(
    invoice: CorrectedInvoice, *, label: str, amount_excl_tax: Decimal | None, cancel_all: bool
) -> tuple[LineInput, ...]:
    """The (negative) lines of a credit note: the whole invoice cancelled, or one amount taken back.

    A full cancellation of an invoice never credited before repeats its lines with opposite signs, so the
    credit note reads like the invoice; otherwise one line takes back the amount asked (or what is left).
    """
    errors: dict[str, str] = {}
    label = (label or "").strip()
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        errors["invoice"] = "Un avoir ne se corrige pas par un autre avoir."
    elif invoice.creditable <= 0:
        errors["invoice"] = f"La facture {invoice.number} a déjà été entièrement annulée par avoir."
    if not 1 <= len(label) <= MAX_LABEL:
        errors["label"] = f"Indiquez le motif de l'avoir (1 à {MAX_LABEL} caractères)."
    if cancel_all and amount_excl_tax is not None:
        errors["amount_excl_tax"] = "Indiquez un montant ou l'annulation totale, pas les deux."
    elif not cancel_all:
        if amount_excl_tax is None:
            errors["amount_excl_tax"] = "Indiquez le montant HT à créditer (exemple : 97,35)."
        elif not _is_cents(amount_excl_tax) or amount_excl_tax <= 0:
            errors["amount_excl_tax"] = "Le montant HT à créditer est positif, avec au plus deux décimales."
        elif "invoice" not in errors and amount_excl_tax > invoice.creditable:
            errors["amount_excl_tax"] = (
                f"Le montant dépasse ce qui reste à créditer sur la facture "
                f"{invoice.number} ({money_fr(invoice.creditable)} HT)."
            )
    if errors:
        raise CreditNoteRejected(errors)
    if cancel_all and invoice.already_credited == 0:
        return tuple(
            LineInput(f"{label} : {line.label}"[:MAX_LABEL], line.quantity, -line.unit_price) for line in invoice.lines
        )
    amount = invoice.creditable if cancel_all or amount_excl_tax is None else amount_excl_tax
    return (LineInput(label, Decimal(1), -amount),)


def set_off(credit_lines: tuple[LineInput, ...], vat_rate: Decimal, invoice_due: Decimal) -> Decimal:
    """How much of a new credit note settles the invoice it corrects: at most what is still due on it.

    The rest stays on the credit note, owed back to the company (its balance shows it as a credit).
    """
    credit = -totals(price_lines(credit_lines), vat_rate).incl_tax
    return min(credit, max(invoice_due, ZERO))


def _is_cents(value: Decimal) -> bool:
    try:
        return value.is_finite() and value == value.quantize(CENT)
    except InvalidOperation:
        return False
