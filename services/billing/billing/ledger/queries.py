"""Reading the ledger: a member's account (the one function every figure comes from) and its entries."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal_common.service import portal

from ..invoices.rules import InvoiceKind
from ..models import Invoice, LedgerEntry
from .rules import Account, Violation, ViolationKind, YearSummary, account, numbering_gaps

CENTS = Decimal("0.01")


def account_in(session: Session, member_id: str) -> Account:
    """The member's account: balance from the ledger, dues of its open invoices (allocations from the ledger
    too, kept on each invoice in the same transaction; `python -m billing.audit` checks they agree)."""
    balance = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.member_id == member_id)
    )
    due = session.scalar(
        select(func.coalesce(func.sum(Invoice.amount_incl_tax - Invoice.amount_paid), 0)).where(
            Invoice.member_id == member_id, Invoice.kind != InvoiceKind.CREDIT_NOTE
        )
    )
    return account(Decimal(balance or 0).quantize(CENTS), Decimal(due or 0).quantize(CENTS))


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
    for member_id, period, numbers in session.execute(
        text(
            """
            SELECT member_id, period, string_agg(number, ', ' ORDER BY number) FROM invoice
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
            SELECT i.number, i.amount_paid, CAST(coalesce(sum(e.applied_amount), 0) AS numeric(12, 2)) FROM invoice i
            LEFT JOIN ledger_entry e ON e.settles_invoice_id = i.id
            WHERE i.kind <> 'avoir' GROUP BY i.id, i.number, i.amount_paid
            HAVING i.amount_paid <> coalesce(sum(e.applied_amount), 0)
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
                   (SELECT coalesce(sum(amount), 0) FROM ledger_entry e WHERE e.member_id = c.member_id),
                   (SELECT coalesce(sum(amount_incl_tax - amount_paid), 0) FROM invoice i
                    WHERE i.member_id = c.member_id AND i.kind <> 'avoir')
            FROM billing_customer c
            """
        )
    ):
        held = account(Decimal(balance), Decimal(due))
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
