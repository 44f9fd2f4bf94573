"""SEPA debits « en cours » until their collection date; pain.008 files kept sealed for a second download

A debit sent to the bank is no longer a payment at once: it stays « transmis » (in flight) until its collection
date, then becomes « encaisse » with its payment. Existing data, printed for the operator:
- a sent debit with its payment whose collection date has come becomes « encaisse » (nothing else changes);
- a sent debit whose collection date is still ahead had been recorded as paid too early: its payment and ledger
  entry are withdrawn, the invoice shows what it really still owes, and the debit stays « transmis » (the
  settlement step records it at its date).
The debit states are then held by the database (ck_sepa_debit_debit_state), on PostgreSQL and SQLite.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from portal_common.clock import today

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DEBIT_STATE = (
    "(status = 'prenotifie' AND batch_id IS NULL AND payment_id IS NULL AND amount > 0)"
    " OR (status = 'transmis' AND batch_id IS NOT NULL AND payment_id IS NULL AND amount > 0)"
    " OR (status = 'encaisse' AND batch_id IS NOT NULL AND payment_id IS NOT NULL AND amount > 0)"
    " OR (status = 'rejete' AND batch_id IS NOT NULL AND amount > 0)"
    " OR (status = 'annule' AND payment_id IS NULL AND amount >= 0)"
)
# 0005's SQLite triggers on sepa_debit: SQLite's copy-and-move of the table would trip over them.
SQLITE_TRIGGERS = {
    event: (
        f"CREATE TRIGGER trg_sepa_debit_not_on_credit_note_{event.lower()} BEFORE {event} ON sepa_debit "
        "FOR EACH ROW WHEN NEW.invoice_id IS NOT NULL "
        "AND (SELECT kind FROM invoice WHERE id = NEW.invoice_id) = 'avoir' "
        "BEGIN SELECT RAISE(ABORT, 'credit_note_not_payable: a credit note is never payable'); END"
    )
    for event in ("INSERT", "UPDATE")
}


def _report(message: str) -> None:
    print(f"billing 0007: {message}")  # the operator reads what the migration corrected


def _withdraw_early_payments(bind: Any, day: Any) -> None:
    """Sent debits recorded as paid before their collection date: the payment had not happened yet."""
    early = bind.execute(
        sa.text(
            """
            SELECT d.id, d.payment_id, d.invoice_id, p.applied_amount, i.number, d.collection_date
            FROM sepa_debit d JOIN payment p ON p.id = d.payment_id JOIN invoice i ON i.id = d.invoice_id
            WHERE d.status = 'transmis' AND d.collection_date > :day AND p.reversed_on IS NULL
            """
        ),
        {"day": day},
    ).all()
    for debit_id, payment_id, invoice_id, applied, number, collection_date in early:
        bind.execute(sa.text("UPDATE sepa_debit SET payment_id = NULL WHERE id = :id"), {"id": debit_id})
        bind.execute(sa.text("DELETE FROM ledger_entry WHERE payment_id = :id"), {"id": payment_id})
        bind.execute(sa.text("DELETE FROM payment WHERE id = :id"), {"id": payment_id})
        bind.execute(
            sa.text(
                """
                UPDATE invoice SET amount_paid = amount_paid - :applied, version = version + 1,
                    status = CASE
                        WHEN status = 'contentieux' THEN status
                        WHEN amount_paid - :applied >= amount_incl_tax THEN 'acquittee'
                        WHEN amount_paid - :applied <= 0 THEN 'a_payer'
                        ELSE 'partiellement_payee' END
                WHERE id = :id
                """
            ),
            {"applied": applied, "id": invoice_id},
        )
        _report(f"invoice {number}: SEPA debit of {collection_date} no longer recorded as paid before its date")


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.add_column("sepa_batch", sa.Column("document", sa.LargeBinary(), nullable=True))
    op.add_column("sepa_batch", sa.Column("document_key_id", sa.String(length=16), nullable=True))

    day = today()
    _withdraw_early_payments(bind, day)
    collected = bind.execute(
        sa.text(
            "UPDATE sepa_debit SET status = 'encaisse' WHERE status = 'transmis' AND payment_id IS NOT NULL"
            " AND collection_date <= :day"
        ),
        {"day": day},
    ).rowcount
    if collected:
        _report(f"{collected} SEPA debit(s) sent and past their collection date marked collected")

    if sqlite:
        for event in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS trg_sepa_debit_not_on_credit_note_{event.lower()}")
    with op.batch_alter_table("sepa_debit") as batch:
        batch.create_check_constraint("debit_state", DEBIT_STATE)
    if sqlite:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        for event in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS trg_sepa_debit_not_on_credit_note_{event.lower()}")
    with op.batch_alter_table("sepa_debit") as batch:
        batch.drop_constraint("ck_sepa_debit_debit_state", type_="check")
    if sqlite:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    # Before 0007 a collected debit was « transmis » with its payment; one still in flight has none, which
    # 0006's code would read as sent and unpaid (its settlement then never happens): left as it is.
    op.execute("UPDATE sepa_debit SET status = 'transmis' WHERE status = 'encaisse'")
    with op.batch_alter_table("sepa_batch") as batch:
        batch.drop_column("document_key_id")
        batch.drop_column("document")
