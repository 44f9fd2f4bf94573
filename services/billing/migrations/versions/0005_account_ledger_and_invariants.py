"""account ledger and billing invariants in the database

Brings existing data into the ledger without changing any balance a member saw as correct, and prints the
rows it corrects (docs/decisions/0026-member-account-ledger.md):
- an invoice marked paid without a payment record (the old demo) gets a payment « Réglé à l'émission »
  of what it shows as paid, so « Mes factures » and « Mon échéancier » agree on what the member saw;
- credit notes take the status « avoir » (never payable);
- a second live annual fee of one member and period is cancelled on the books (cancelled_by_id) only when
  a credit note already cancelled it in full; otherwise the migration stops and names the pair, for staff
  to issue the credit note (the unique index cannot be created over a duplicate).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 11:10:00
"""

import uuid
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

import portal_common.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A payment, a card attempt, a SEPA debit or a ledger allocation on a credit note is refused by the
# database itself: a credit note is never payable (a CHECK cannot look at another row).
REFUSE_CREDIT_NOTE = """
CREATE OR REPLACE FUNCTION billing_refuse_credit_note_settlement() RETURNS trigger AS $$
DECLARE
    target text := to_jsonb(NEW) ->> TG_ARGV[0];
BEGIN
    IF target IS NOT NULL AND EXISTS (SELECT 1 FROM invoice WHERE id = target AND kind = 'avoir') THEN
        RAISE EXCEPTION 'a credit note is never payable (invoice %)', target
            USING ERRCODE = 'check_violation', CONSTRAINT = 'credit_note_not_payable';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
# The table and the column naming the invoice its row would settle.
SETTLING_TABLES = {
    "payment": "invoice_id",
    "card_payment": "invoice_id",
    "sepa_debit": "invoice_id",
    "ledger_entry": "settles_invoice_id",
}


LIVE_ANNUAL = sa.text("kind IN ('cotisation', 'facture_office') AND cancelled_by_id IS NULL")
# One instant for every row the migration writes.
NOW = datetime.now(timezone.utc)


# What each SELECT below gives, in this order.
LEDGER_COLUMNS = (
    "member_id", "kind", "booked_on", "amount", "applied_amount", "document_id", "settles_invoice_id",
    "payment_id", "label", "recorded_by",
)


def _copy_into_ledger(bind: Any, select_rows: str) -> None:
    """Ledger entries for the rows a portable SELECT gives, ids and time given here (SQLite has neither
    gen_random_uuid() nor now())."""
    rows = bind.execute(sa.text(select_rows)).all()
    if rows:
        bind.execute(
            sa.text(
                "INSERT INTO ledger_entry (id, member_id, kind, booked_on, amount, applied_amount, document_id, "
                "settles_invoice_id, payment_id, label, recorded_by, created_at) VALUES (:id, :member_id, :kind, "
                ":booked_on, :amount, :applied_amount, :document_id, :settles_invoice_id, :payment_id, :label, "
                ":recorded_by, :created_at)"
            ),
            [dict(zip(LEDGER_COLUMNS, row), id=str(uuid.uuid4()), created_at=NOW) for row in rows],
        )


def _report(message: str) -> None:
    print(f"billing 0005: {message}")  # noqa: T201  # the operator reads what the migration corrected


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    # Batch mode: SQLite cannot alter a constraint, it copies the table; PostgreSQL alters it in place.
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("cancelled_by_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(op.f("fk_invoice_cancelled_by_id_invoice"), "invoice", ["cancelled_by_id"], ["id"])
    op.add_column("payment", sa.Column("reversed_on", sa.Date(), nullable=True))
    op.add_column("pending_hire", sa.Column("employee_name", sa.String(length=120), nullable=True))
    op.add_column("received_declaration", sa.Column("headcount", sa.Integer(), nullable=True))
    with op.batch_alter_table("sepa_debit") as batch:
        batch.add_column(sa.Column("payment_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(op.f("fk_sepa_debit_payment_id_payment"), "payment", ["payment_id"], ["id"])
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("applied_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("settles_invoice_id", sa.String(length=36), nullable=True),
        sa.Column("payment_id", sa.String(length=36), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", portal_common.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "settles_invoice_id IS NOT NULL OR applied_amount = 0",
            name=op.f("ck_ledger_entry_applied_needs_invoice"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["billing_customer.member_id"], name=op.f("fk_ledger_entry_member_id_billing_customer")
        ),
        sa.ForeignKeyConstraint(["document_id"], ["invoice.id"], name=op.f("fk_ledger_entry_document_id_invoice")),
        sa.ForeignKeyConstraint(
            ["settles_invoice_id"], ["invoice.id"], name=op.f("fk_ledger_entry_settles_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_ledger_entry_payment_id_payment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
    )
    op.create_index("ix_ledger_entry_member_booked", "ledger_entry", ["member_id", "booked_on"])
    op.create_index(
        "ix_ledger_entry_settles",
        "ledger_entry",
        ["settles_invoice_id"],
        postgresql_where=sa.text("settles_invoice_id IS NOT NULL"),
    )
    op.create_index("ix_ledger_entry_document", "ledger_entry", ["document_id"])

    # Credit notes are never payable.
    fixed = bind.execute(sa.text("UPDATE invoice SET status = 'avoir' WHERE kind = 'avoir' AND status <> 'avoir'"))
    if fixed.rowcount:
        _report(f"{fixed.rowcount} credit note(s) no longer shown as payable")
    # Annual fees cancelled in full by credit notes stop being live.
    bind.execute(
        sa.text(
            """
            UPDATE invoice SET cancelled_by_id = (
                SELECT n.id FROM invoice n WHERE n.corrects_invoice_id = invoice.id AND n.kind = 'avoir'
                ORDER BY n.number DESC LIMIT 1)
            WHERE invoice.kind <> 'avoir' AND invoice.amount_excl_tax + (
                SELECT coalesce(sum(n.amount_excl_tax), 0) FROM invoice n
                WHERE n.corrects_invoice_id = invoice.id AND n.kind = 'avoir') <= 0
            """
        )
    )
    live: dict[tuple[str, str], list[str]] = {}
    for member, period, number in bind.execute(
        sa.text(
            "SELECT member_id, period, number FROM invoice WHERE kind IN ('cotisation', 'facture_office') "
            "AND cancelled_by_id IS NULL ORDER BY number"
        )
    ):
        live.setdefault((member, period), []).append(number)
    duplicates = [(member, period, ", ".join(numbers)) for (member, period), numbers in live.items() if len(numbers) > 1]
    if duplicates:
        named = "; ".join(f"{member} {period}: {numbers}" for member, period, numbers in duplicates)
        raise RuntimeError(
            f"billing 0005: several live annual invoices for one member and year ({named}); "
            "cancel the extra ones with a credit note, then migrate again"
        )

    # Invoices shown as paid beyond their payments and credit notes (the old demo): the payment they lacked.
    missing = bind.execute(
        sa.text(
            """
            SELECT i.id, i.member_id, i.number, i.issued_on,
                   i.amount_paid - coalesce((SELECT sum(p.applied_amount) FROM payment p WHERE p.invoice_id = i.id), 0)
                   + coalesce((SELECT sum(n.amount_paid) FROM invoice n
                               WHERE n.corrects_invoice_id = i.id AND n.kind = 'avoir'), 0) AS lacking
            FROM invoice i WHERE i.kind <> 'avoir'
            """
        )
    ).all()
    for invoice_id, member_id, number, issued_on, lacking in missing:
        if lacking <= 0:
            continue
        bind.execute(
            sa.text(
                """
                INSERT INTO payment (id, invoice_id, member_id, method, amount, applied_amount, received_on,
                                     reference, recorded_by, created_at)
                VALUES (:id, :invoice, :member, 'a_l_emission', :amount, :amount, :on,
                        'Reprise : réglée sans règlement enregistré', 'migration-0005', :now)
                """
            ),
            {"id": str(uuid.uuid4()), "invoice": invoice_id, "member": member_id, "amount": lacking,
             "on": issued_on, "now": NOW},
        )
        _report(f"invoice {number} was paid {lacking} without a payment record: payment entry added")

    # The ledger: one entry per invoice and credit note, one per payment (and its reversal).
    _copy_into_ledger(
        bind,
        """
        SELECT member_id, CASE WHEN kind = 'avoir' THEN 'avoir' ELSE 'facture' END,
                   issued_on, amount_incl_tax,
                   CASE WHEN kind = 'avoir' AND corrects_invoice_id IS NOT NULL THEN -amount_paid ELSE 0 END, id,
                   CASE WHEN kind = 'avoir' THEN corrects_invoice_id END, NULL, number, 'migration-0005'
            FROM invoice
        """,
    )
    _copy_into_ledger(
        bind,
        """
        SELECT p.member_id,
                   CASE WHEN p.method = 'prelevement' THEN 'prelevement' ELSE 'reglement' END,
                   p.received_on, -p.amount, p.applied_amount, NULL, p.invoice_id, p.id,
                   coalesce(p.reference, i.number), 'migration-0005'
            FROM payment p JOIN invoice i ON i.id = p.invoice_id
        """,
    )
    # A standalone credit note already marked as used gave its credit back at issue: its refund entry.
    _copy_into_ledger(
        bind,
        """
        SELECT member_id, 'remboursement', issued_on, -amount_paid, 0, id, NULL, NULL,
                   number, 'migration-0005'
            FROM invoice WHERE kind = 'avoir' AND corrects_invoice_id IS NULL AND amount_paid < 0
        """,
    )
    with op.batch_alter_table("invoice") as batch:
        batch.create_check_constraint("credit_note_not_payable", "(kind = 'avoir') = (status = 'avoir')" " AND (kind <> 'avoir' OR (amount_incl_tax < 0 AND amount_paid <= 0 AND amount_paid >= amount_incl_tax))")
        batch.create_check_constraint("allocation_within_total", "kind = 'avoir' OR (amount_incl_tax > 0 AND amount_paid >= 0 AND amount_paid <= amount_incl_tax)")
    with op.batch_alter_table("payment") as batch:
        batch.create_check_constraint("applied_within_amount", "amount > 0 AND applied_amount >= 0 AND applied_amount <= amount")
    op.create_index(
        "uq_invoice_live_annual",
        "invoice",
        ["member_id", "period"],
        unique=True,
        postgresql_where=LIVE_ANNUAL,
        sqlite_where=LIVE_ANNUAL,
    )
    # Last: SQLite's copy-and-move of a table would trip over a trigger naming it.
    if not sqlite:
        op.execute(REFUSE_CREDIT_NOTE)
    for table, column in SETTLING_TABLES.items():
        # Only rows that settle something are looked at (an invoice's own ledger entry, the January rush's
        # bulk, never fires it).
        if sqlite:
            for event in ("INSERT", "UPDATE"):
                op.execute(
                    f"CREATE TRIGGER trg_{table}_not_on_credit_note_{event.lower()} BEFORE {event} ON {table} "
                    f"FOR EACH ROW WHEN NEW.{column} IS NOT NULL "
                    f"AND (SELECT kind FROM invoice WHERE id = NEW.{column}) = 'avoir' "
                    "BEGIN SELECT RAISE(ABORT, 'credit_note_not_payable: a credit note is never payable'); END"
                )
            continue
        op.execute(
            f"CREATE TRIGGER trg_{table}_not_on_credit_note BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW WHEN (NEW.{column} IS NOT NULL) "
            f"EXECUTE FUNCTION billing_refuse_credit_note_settlement('{column}')"
        )


def downgrade() -> None:
    op.drop_index("uq_invoice_live_annual", table_name="invoice")
    op.drop_constraint("ck_payment_applied_within_amount", "payment", type_="check")
    op.drop_constraint("ck_invoice_allocation_within_total", "invoice", type_="check")
    op.drop_constraint("ck_invoice_credit_note_not_payable", "invoice", type_="check")
    for table in SETTLING_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_not_on_credit_note ON {table}")
    op.execute("DROP FUNCTION IF EXISTS billing_refuse_credit_note_settlement()")
    op.execute("UPDATE invoice SET status = 'acquittee' WHERE kind = 'avoir'")
    op.execute("DELETE FROM payment WHERE recorded_by = 'migration-0005'")
    op.drop_table("ledger_entry")
    op.drop_constraint("fk_sepa_debit_payment_id_payment", "sepa_debit", type_="foreignkey")
    op.drop_column("sepa_debit", "payment_id")
    op.drop_column("received_declaration", "headcount")
    op.drop_column("pending_hire", "employee_name")
    op.drop_column("payment", "reversed_on")
    op.drop_constraint("fk_invoice_cancelled_by_id_invoice", "invoice", type_="foreignkey")
    op.drop_column("invoice", "cancelled_by_id")
