"""Invoice rules in plain Decimal arithmetic: kinds and statuses, line amounts, totals, settlement status,
numbering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from portal_common.errors import FieldErrors

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Numeric(12, 2) holds ten integer digits.
MAX_AMOUNT = Decimal("9999999999.99")
MAX_LINES = 200
PAYMENT_TERM_DAYS = 30  # Code de commerce L441-10 default when nothing else is agreed


class InvoiceKind(StrEnum):
    """What an invoice bills (the stored value)."""

    ANNUAL_FEE = "cotisation"
    ESTIMATE = "facture_office"  # estimated annual fee of a member who did not declare
    CREDIT_NOTE = "avoir"  # negative amounts
    NO_SHOW = "absence"
    LATE_HIRE = "embauche"


class InvoiceStatus(StrEnum):
    """Where an invoice stands on its payment (the stored value)."""

    TO_PAY = "a_payer"
    PARTLY_PAID = "partiellement_payee"
    PAID = "acquittee"
    LITIGATION = "contentieux"
    # A credit note is never payable: it has this status whatever is set off against it (docs/domain.md).
    CREDIT_NOTE = "avoir"


KIND_LABELS = {
    InvoiceKind.ANNUAL_FEE: "Cotisation annuelle",
    InvoiceKind.ESTIMATE: "Facture d'office",
    InvoiceKind.CREDIT_NOTE: "Avoir",
    InvoiceKind.NO_SHOW: "Absence non excusée",
    InvoiceKind.LATE_HIRE: "Embauche après déclaration",
}
# Annual fees, real or estimated: what makes a company a member already billed.
ANNUAL_KINDS = (InvoiceKind.ANNUAL_FEE, InvoiceKind.ESTIMATE)

STATUS_LABELS = {
    InvoiceStatus.TO_PAY: "À payer",
    InvoiceStatus.PARTLY_PAID: "Partiellement payée",
    InvoiceStatus.PAID: "Acquittée",
    InvoiceStatus.LITIGATION: "En contentieux",
    InvoiceStatus.CREDIT_NOTE: "Avoir",
}
# Still owed, and not in litigation: what a card payment or a SEPA debit may settle.
OPEN_STATUSES = (InvoiceStatus.TO_PAY, InvoiceStatus.PARTLY_PAID)
# What an open invoice with a SEPA debit sent and not collected yet shows: it is not paid before the
# collection date (its status stays what its allocations say).
DEBIT_PENDING_LABEL = "Prélèvement en cours"


def status_label(status: str, debit_in_flight: Decimal = ZERO) -> str:
    """The status every page and the API show: « Prélèvement en cours » while a debit is in flight."""
    if debit_in_flight > ZERO and status in OPEN_STATUSES:
        return DEBIT_PENDING_LABEL
    return STATUS_LABELS[InvoiceStatus(status)]


class InvoiceRejected(FieldErrors):
    """An invoice the rules refuse: French messages per field, shown next to the fields or in a 422."""


class InvoiceNotFound(Exception):
    """No such invoice (or not one the caller may touch)."""


class CannotInvoiceYet(Exception):
    """A fact billing must act on but cannot yet (customer or tariff unknown): the consumer retries it."""


@dataclass(frozen=True)
class LineInput:
    label: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class PricedLine:
    label: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Totals:
    excl_tax: Decimal
    vat: Decimal
    incl_tax: Decimal


@dataclass(frozen=True)
class IssueCommand:
    """What staff (or an automatic job) ask for; dates default to today and the legal term."""

    member_id: str
    kind: str
    lines: tuple[LineInput, ...]
    vat_rate: Decimal = Decimal("0.20")
    issued_on: date | None = None
    due_on: date | None = None
    period: str | None = None
    amount_paid: Decimal = ZERO
    # Set by automatic billing: the declaration billed, the fact that caused the invoice, the invoice corrected.
    declaration_id: str | None = None
    source_key: str | None = None
    corrects_invoice_id: str | None = None


@dataclass(frozen=True)
class CheckedInvoice:
    """An issue command once validated and priced, ready to be numbered and stored."""

    member_id: str
    kind: str
    issued_on: date
    due_on: date
    period: str
    lines: tuple[PricedLine, ...]
    vat_rate: Decimal
    totals: Totals
    amount_paid: Decimal
    status: str


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return to_cents(quantity * unit_price)


def price_lines(lines: tuple[LineInput, ...] | list[LineInput]) -> tuple[PricedLine, ...]:
    return tuple(
        PricedLine(line.label, line.quantity, line.unit_price, line_amount(line.quantity, line.unit_price))
        for line in lines
    )


def totals(lines: tuple[PricedLine, ...] | list[PricedLine], vat_rate: Decimal) -> Totals:
    """HT is the sum of rounded lines; VAT is rounded once on the total (not per line)."""
    excl_tax = sum((line.amount for line in lines), ZERO)
    vat = to_cents(excl_tax * vat_rate)
    return Totals(excl_tax=excl_tax, vat=vat, incl_tax=excl_tax + vat)


def amount_due(amount_incl_tax: Decimal, amount_paid: Decimal) -> Decimal:
    """Reste à payer; a credit note (negative total) owes nothing: what it gives back is the account's credit."""
    if amount_incl_tax < 0:
        return ZERO
    return amount_incl_tax - amount_paid


def settlement_status(amount_incl_tax: Decimal, amount_paid: Decimal) -> InvoiceStatus:
    """À payer, partiellement payée or acquittée from what was allocated to it (payments, credit notes).

    A credit note (negative total) is never payable: its status is always « Avoir ». Nothing owed at all
    counts as settled.
    """
    if amount_incl_tax < 0:
        return InvoiceStatus.CREDIT_NOTE
    if amount_paid >= amount_incl_tax:
        return InvoiceStatus.PAID
    if amount_paid <= 0:
        return InvoiceStatus.TO_PAY
    return InvoiceStatus.PARTLY_PAID


def declaration_key(declaration_id: str) -> str:
    """The source key of a declaration's annual invoice: one at most, whatever the deliveries."""
    return f"declaration:{declaration_id}"


def invoice_number(year: int, sequence: int) -> str:
    """F2026-000123: the year of issue, then the rank in that year."""
    if not 1 <= sequence <= 999_999:
        raise ValueError("invoice sequence out of range")
    return f"F{year:04d}-{sequence:06d}"


def _has_cents_at_most(value: Decimal) -> bool:
    try:
        return value == value.quantize(CENT)
    except InvalidOperation:
        return False


def _line_problem(line: LineInput) -> str | None:
    if not line.label.strip() or len(line.label.strip()) > 200:
        return "le libellé doit comporter de 1 à 200 caractères."
    if not (_has_cents_at_most(line.quantity) and _has_cents_at_most(line.unit_price)):
        return "quantité et prix unitaire ont au plus deux décimales."
    if line.quantity <= 0:
        return "la quantité doit être positive."
    if abs(line_amount(line.quantity, line.unit_price)) > MAX_AMOUNT:
        return "le montant de la ligne est trop élevé."
    return None


def check_issue(command: IssueCommand, *, today: date, customer_known: bool) -> CheckedInvoice:
    """Validate and price an invoice; raises InvoiceRejected with every problem at once."""
    errors: dict[str, str] = {}
    if not customer_known:
        errors["member_id"] = "Cet adhérent est inconnu du service facturation."
    if command.kind not in KIND_LABELS:
        errors["kind"] = "Le type de facture est inconnu."
    issued_on = command.issued_on or today
    due_on = command.due_on or issued_on + timedelta(days=PAYMENT_TERM_DAYS)
    if due_on < issued_on:
        errors["due_on"] = "L'échéance ne peut pas précéder la date d'émission."
    period = (command.period or str(issued_on.year)).strip()
    if not period or len(period) > 20:
        errors["period"] = "La période doit comporter de 1 à 20 caractères (exemple : 2026)."
    if not (
        command.vat_rate.is_finite()
        and ZERO <= command.vat_rate < 1
        and command.vat_rate == command.vat_rate.quantize(Decimal("0.0001"))
    ):
        errors["vat_rate"] = "Le taux de TVA doit être compris entre 0 et 1 (exemple : 0.20)."
    if not command.lines:
        errors["lines"] = "La facture doit comporter au moins une ligne."
    elif len(command.lines) > MAX_LINES:
        errors["lines"] = f"La facture ne peut pas comporter plus de {MAX_LINES} lignes."
    else:
        for rank, line in enumerate(command.lines, start=1):
            problem = _line_problem(line)
            if problem:
                errors["lines"] = f"Ligne {rank} : {problem}"
                break
    if not _has_cents_at_most(command.amount_paid):
        errors["amount_paid"] = "Le montant réglé a au plus deux décimales."
    if errors:
        raise InvoiceRejected(errors)

    lines = price_lines([LineInput(line.label.strip(), line.quantity, line.unit_price) for line in command.lines])
    total = totals(lines, command.vat_rate)
    if abs(total.incl_tax) > MAX_AMOUNT:
        errors["lines"] = "Le montant total de la facture est trop élevé."
    elif command.kind == InvoiceKind.CREDIT_NOTE and total.excl_tax >= 0:
        errors["lines"] = "Un avoir porte un montant négatif."
    elif command.kind != InvoiceKind.CREDIT_NOTE and total.excl_tax <= 0:
        errors["lines"] = "Une facture porte un montant positif (un montant négatif est un avoir)."
    elif command.amount_paid * total.incl_tax < 0 or abs(command.amount_paid) > abs(total.incl_tax):
        errors["amount_paid"] = "Le montant réglé doit être compris entre 0 et le montant TTC."
    if errors:
        raise InvoiceRejected(errors)
    return CheckedInvoice(
        member_id=command.member_id,
        kind=command.kind,
        issued_on=issued_on,
        due_on=due_on,
        period=period,
        lines=lines,
        vat_rate=command.vat_rate,
        totals=total,
        amount_paid=to_cents(command.amount_paid),
        status=settlement_status(total.incl_tax, command.amount_paid),
    )
