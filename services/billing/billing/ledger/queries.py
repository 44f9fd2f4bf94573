"""Reading the ledger: a member's account (the one function every figure comes from) and its entries."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal_common.service import portal

from ..invoices.rules import InvoiceKind
from ..models import Invoice, LedgerEntry, SepaDebit
from ..sepa.rules import DebitStatus
from .rules import Account, LedgerKind, Violation, ViolationKind, YearSummary, account, numbering_gaps

CENTS = Decimal("0.01")


def account_in(session: Session, member_id: str) -> Account:
    """The member's account: balance from the ledger, dues of its open invoices (allocations from the ledger
    too, kept on each invoice in the same transaction; `python -m billing.audit` checks they agree)."""
    # One round trip for the three sums (every page showing an amount owed asks for this account).
    balance, due, pending = session.execute(
        select(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0))
            .where(LedgerEntry.member_id == member_id)
            .scalar_subquery(),
            select(func.coalesce(func.sum(Invoice.amount_incl_tax - Invoice.amount_paid), 0))
            .where(Invoice.member_id == member_id, Invoice.kind != InvoiceKind.CREDIT_NOTE)
            .scalar_subquery(),
            select(func.coalesce(func.sum(SepaDebit.amount), 0))
            .where(SepaDebit.member_id == member_id, SepaDebit.status == DebitStatus.SENT)
            .scalar_subquery(),
        )
    ).one()
    return account(
        Decimal(balance or 0).quantize(CENTS), Decimal(due or 0).quantize(CENTS), Decimal(pending or 0).quantize(CENTS)
    )


def debits_in_flight_in(session: Session, invoice_ids: Iterable[str]) -> dict[str, Decimal]:
    """Per invoice, its SEPA debits sent to the bank and not collected yet (what account_in counts as pending):
    owed until the collection date, shown as « Prélèvement en cours »."""
    ids = list(set(invoice_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(SepaDebit.invoice_id, func.sum(SepaDebit.amount))
        .where(SepaDebit.invoice_id.in_(ids), SepaDebit.status == DebitStatus.SENT)
        .group_by(SepaDebit.invoice_id)
    ).all()
    return {invoice_id: Decimal(total).quantize(CENTS) for invoice_id, total in rows}


def debits_in_flight(invoice_ids: Iterable[str]) -> dict[str, Decimal]:
    """debits_in_flight_in on the request's session."""
    return debits_in_flight_in(portal().db.session, invoice_ids)


def credit_set_off_in(session: Session, invoice_ids: Iterable[str]) -> dict[str, Decimal]:
    """Per invoice, the member's credit set off against it (« Compensation avoir »: at issue, or by staff), which
    invoices print on a line of its own apart from what was paid."""
    ids = list(set(invoice_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(LedgerEntry.settles_invoice_id, func.sum(LedgerEntry.applied_amount))
        .where(LedgerEntry.settles_invoice_id.in_(ids), LedgerEntry.kind == LedgerKind.OFFSET)
        .group_by(LedgerEntry.settles_invoice_id)
    ).all()
    return {invoice_id: Decimal(total).quantize(CENTS) for invoice_id, total in rows if total}


def credit_set_off(invoice_ids: Iterable[str]) -> dict[str, Decimal]:
    """credit_set_off_in on the request's session."""
    return credit_set_off_in(portal().db.session, invoice_ids)


def account_of(member_id: str) -> Account:
    """account_in on the request's session."""
    return account_in(portal().db.session, member_id)


def yearly_history(member_id: str) -> list[YearSummary]:
    """Per period, newest first: headcount declared, invoiced (TTC), credited by credit notes, and settled
    (payments and offsets allocated to that year's invoices, from the ledger)."""
    session = portal().db.session
    rows = session.execute(
        text(
            """
            SELECT i.period,
                   sum(CASE WHEN i.kind <> 'avoir' THEN i.amount_incl_tax ELSE 0 END),
                   sum(CASE WHEN i.kind = 'avoir' THEN -i.amount_incl_tax ELSE 0 END),
                   coalesce(sum((SELECT sum(e.applied_amount) FROM ledger_entry e
                                 WHERE e.settles_invoice_id = i.id AND e.kind <> 'avoir')), 0),
                   (SELECT sum(d.headcount) FROM received_declaration d
                    WHERE d.member_id = :member AND CAST(d.year AS text) = i.period)
            FROM invoice i WHERE i.member_id = :member
            GROUP BY i.period ORDER BY i.period DESC
            """
        ),
        {"member": member_id},
    ).all()
    return [
        YearSummary(
            year=period,
            headcount=None if headcount is None else int(headcount),
            invoiced=Decimal(invoiced).quantize(CENTS),
            credited=Decimal(credited).quantize(CENTS),
            settled=Decimal(settled).quantize(CENTS),
        )
        for period, invoiced, credited, settled, headcount in rows
    ]


def entries_of(member_id: str) -> list[LedgerEntry]:
    return list(
        portal().db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.member_id == member_id)
            .order_by(LedgerEntry.booked_on, LedgerEntry.created_at)
        )
    )


def violations(session: Session) -> list[Violation]:
    """Every broken billing invariant of the database (docs/domain.md « Invariants de facturation »)."""
    found: list[Violation] = []
    # The embedded default (SQLite) reads the same invariants: its own list aggregate, sums rounded to the cent.
    numbers_list = (
        "string_agg(number, ', ' ORDER BY number)"
        if session.get_bind().dialect.name == "postgresql"
        else "group_concat(number, ', ')"
    )
    for member_id, period, numbers in session.execute(
        text(
            f"""
            SELECT member_id, period, {numbers_list} FROM invoice
            WHERE kind IN ('cotisation', 'facture_office') AND cancelled_by_id IS NULL
            GROUP BY member_id, period HAVING count(*) > 1
            """
        )
    ):
        found.append(Violation(ViolationKind.DUPLICATE_ANNUAL, f"{member_id} {period}", numbers))
    for number, reason in session.execute(
        text(
            """
            SELECT i.number, 'status ' || i.status FROM invoice i WHERE i.kind = 'avoir' AND i.status <> 'avoir'
            UNION ALL
            SELECT i.number, 'paid by a payment' FROM invoice i JOIN payment p ON p.invoice_id = i.id
            WHERE i.kind = 'avoir'
            UNION ALL
            SELECT i.number, 'a card payment attempt' FROM invoice i JOIN card_payment c ON c.invoice_id = i.id
            WHERE i.kind = 'avoir'
            UNION ALL
            SELECT i.number, 'a SEPA debit' FROM invoice i JOIN sepa_debit d ON d.invoice_id = i.id
            WHERE i.kind = 'avoir'
            UNION ALL
            SELECT i.number, 'settled by a ledger entry' FROM invoice i
            JOIN ledger_entry e ON e.settles_invoice_id = i.id WHERE i.kind = 'avoir'
            """
        )
    ):
        found.append(Violation(ViolationKind.PAYABLE_CREDIT_NOTE, number, reason))
    for number, paid, total in session.execute(
        text(
            """
            SELECT number, amount_paid, amount_incl_tax FROM invoice
            WHERE kind <> 'avoir' AND (amount_paid < 0 OR amount_paid > amount_incl_tax)
            """
        )
    ):
        found.append(Violation(ViolationKind.OVER_ALLOCATED, number, f"paid {paid} of {total}"))
    # Each invoice's « déjà réglé » is what the ledger allocates to it; each document and payment has its entry.
    for number, shown, ledger in session.execute(
        text(
            """
            SELECT i.number, i.amount_paid, round(coalesce(sum(e.applied_amount), 0), 2) FROM invoice i
            LEFT JOIN ledger_entry e ON e.settles_invoice_id = i.id
            WHERE i.kind <> 'avoir' GROUP BY i.id, i.number, i.amount_paid
            HAVING round(i.amount_paid, 2) <> round(coalesce(sum(e.applied_amount), 0), 2)
            """
        )
    ):
        found.append(Violation(ViolationKind.LEDGER_MISMATCH, number, f"shows {shown} paid, the ledger {ledger}"))
    for number, count in session.execute(
        text(
            """
            SELECT i.number, count(e.id) FROM invoice i
            LEFT JOIN ledger_entry e ON e.document_id = i.id AND e.kind IN ('facture', 'avoir')
                                        AND e.amount = i.amount_incl_tax
            GROUP BY i.id, i.number HAVING count(e.id) <> 1
            """
        )
    ):
        found.append(Violation(ViolationKind.LEDGER_MISMATCH, number, f"{count} ledger entries for the document"))
    for payment_id, count in session.execute(
        text(
            """
            SELECT p.id, count(e.id) FROM payment p
            LEFT JOIN ledger_entry e ON e.payment_id = p.id AND e.amount = -p.amount
                                        AND e.kind IN ('reglement', 'prelevement')
            GROUP BY p.id HAVING count(e.id) <> 1
            """
        )
    ):
        found.append(Violation(ViolationKind.LEDGER_MISMATCH, f"payment {payment_id}", f"{count} ledger entries"))
    # The account: the credit held for a member (open dues minus the balance) is never negative.
    for member_id, balance, due in session.execute(
        text(
            """
            SELECT c.member_id,
                   (SELECT round(coalesce(sum(amount), 0), 2) FROM ledger_entry e WHERE e.member_id = c.member_id),
                   (SELECT round(coalesce(sum(amount_incl_tax - amount_paid), 0), 2) FROM invoice i
                    WHERE i.member_id = c.member_id AND i.kind <> 'avoir')
            FROM billing_customer c
            """
        )
    ):
        held = account(Decimal(str(balance)), Decimal(str(due)))
        if held.credit < 0:
            found.append(
                Violation(
                    ViolationKind.LEDGER_MISMATCH,
                    member_id,
                    f"balance {held.balance} above the open invoices' dues {held.due}",
                )
            )
    sequences = dict(session.execute(text("SELECT year, last_number FROM invoice_sequence")).all())
    ranks: dict[int, list[int]] = {}
    for (number,) in session.execute(text("SELECT number FROM invoice")):
        if len(number) == 12 and number[0] == "F" and number[1:5].isdigit() and number[6:].isdigit():
            ranks.setdefault(int(number[1:5]), []).append(int(number[6:]))
        else:
            found.append(Violation(ViolationKind.NUMBERING_GAP, number, "not a final invoice number"))
    for year in sorted(set(ranks) | set(sequences)):
        for problem in numbering_gaps(year, ranks.get(year, []), sequences.get(year)):
            found.append(Violation(ViolationKind.NUMBERING_GAP, str(year), problem))
    return found


def credits_of(session: Session, member_ids: list[str]) -> dict[str, Decimal]:
    """The credit held for each of these members that has one (account_in's credit, for many in one query:
    what the automatic offset of a batch of new invoices reads)."""
    if not member_ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        return _credits_by_member_lookup(session, member_ids)
    dues = select(
        Invoice.member_id.label("member_id"), (Invoice.amount_incl_tax - Invoice.amount_paid).label("held")
    ).where(Invoice.member_id.in_(member_ids), Invoice.kind != InvoiceKind.CREDIT_NOTE)
    entries = select(LedgerEntry.member_id.label("member_id"), (-LedgerEntry.amount).label("held")).where(
        LedgerEntry.member_id.in_(member_ids)
    )
    both = dues.union_all(entries).subquery()
    held = func.sum(both.c.held)
    rows = session.execute(select(both.c.member_id, held).group_by(both.c.member_id).having(held > 0)).all()
    return {member_id: Decimal(amount).quantize(CENTS) for member_id, amount in rows}


# The same figure, one member at a time over the member indexes: `member_id IN (100 ids)` reads as half of a
# table whose statistics are stale or missing (autovacuum late, the January rush's tables growing from empty)
# and PostgreSQL then scans every invoice and entry for each batch; one id at a time it follows the indexes.
CREDITS_BY_MEMBER = text(
    """
    SELECT m.member_id, held FROM unnest(CAST(:ids AS varchar[])) AS m(member_id),
    LATERAL (SELECT (SELECT coalesce(sum(i.amount_incl_tax - i.amount_paid), 0) FROM invoice i
                     WHERE i.member_id = m.member_id AND i.kind <> 'avoir')
                  - (SELECT coalesce(sum(e.amount), 0) FROM ledger_entry e WHERE e.member_id = m.member_id)
                  AS held) AS account
    WHERE held > 0
    """
)


def _credits_by_member_lookup(session: Session, member_ids: list[str]) -> dict[str, Decimal]:
    rows = session.execute(CREDITS_BY_MEMBER, {"ids": sorted(set(member_ids))}).all()
    return {member_id: Decimal(amount).quantize(CENTS) for member_id, amount in rows}
