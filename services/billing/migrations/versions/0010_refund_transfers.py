"""refunds of members' credit by SEPA credit transfer (pain.001): the transfers staff ask for and the files

A transfer waits (« a_transmettre ») until staff build the file; then it has its ledger entry and its file. Its
states are held by a CHECK and at most one waits per member (a partial unique index), on PostgreSQL and SQLite.
No existing data changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 14:00:00
"""

import sqlalchemy as sa
from alembic import op

import portal_common.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TRANSFER_STATE = (
    "(status = 'a_transmettre' AND batch_id IS NULL AND ledger_entry_id IS NULL AND amount > 0)"
    " OR (status = 'transmis' AND batch_id IS NOT NULL AND ledger_entry_id IS NOT NULL"
    " AND end_to_end_id IS NOT NULL AND amount > 0)"
    " OR (status = 'annule' AND batch_id IS NULL AND ledger_entry_id IS NULL)"
)
WAITING = sa.text("status = 'a_transmettre'")


def upgrade() -> None:
    op.create_table(
        "refund_batch",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("execution_date", sa.Date(), nullable=False),
        sa.Column("transaction_count", sa.Integer(), nullable=False),
        sa.Column("control_sum", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", portal_common.db.UTCDateTime(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("document_key_id", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_batch")),
        sa.UniqueConstraint("message_id", name=op.f("uq_refund_batch_message_id")),
    )
    op.create_table(
        "refund_transfer",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", portal_common.db.UTCDateTime(), nullable=False),
        sa.Column("mandate_reference", sa.String(length=35), nullable=True),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.Column("ledger_entry_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint(TRANSFER_STATE, name=op.f("ck_refund_transfer_transfer_state")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["billing_customer.member_id"], name=op.f("fk_refund_transfer_member_id_billing_customer")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["refund_batch.id"], name=op.f("fk_refund_transfer_batch_id_refund_batch")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"], ["ledger_entry.id"], name=op.f("fk_refund_transfer_ledger_entry_id_ledger_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_transfer")),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_refund_transfer_end_to_end_id")),
        sa.UniqueConstraint("ledger_entry_id", name=op.f("uq_refund_transfer_ledger_entry_id")),
    )
    op.create_index("ix_refund_transfer_batch_id", "refund_transfer", ["batch_id"])
    op.create_index("ix_refund_transfer_status", "refund_transfer", ["status"])
    op.create_index(
        "uq_refund_transfer_one_waiting",
        "refund_transfer",
        ["member_id"],
        unique=True,
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )


def downgrade() -> None:
    op.drop_table("refund_transfer")
    op.drop_table("refund_batch")
