"""accounting firms and their collaborators: the firm, its users (administrator or collaborator), the firm an
invitation makes its user join, the optional e-mails each user declined; every existing accounting-firm account becomes its firm's administrator

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:20:00
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import portal_common.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounting_firm",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", portal_common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounting_firm")),
    )
    op.create_table(
        "firm_user",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("firm_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", portal_common.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'collaborator')", name=op.f("ck_firm_user_firm_user_role")),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["accounting_firm.id"], name=op.f("fk_firm_user_firm_id_accounting_firm"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_firm_user_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_firm_user")),
    )
    op.create_index(op.f("ix_firm_user_firm_id"), "firm_user", ["firm_id"], unique=False)
    op.add_column("member_invitation", sa.Column("firm_id", sa.String(length=36), nullable=True))
    op.add_column("user_account", sa.Column("mail_opt_outs", sa.String(length=200), server_default="", nullable=False))
    # Every account holding a delegation today is an accounting firm's: it becomes its firm's administrator.
    bind = op.get_bind()
    holders = bind.execute(
        sa.text(
            "SELECT DISTINCT u.id, u.display_name FROM user_account u JOIN member_link l ON l.user_id = u.id "
            "WHERE l.kind = 'delegate' AND u.staff_roles = ''"
        )
    ).all()
    now = datetime.now(UTC)
    firms = sa.table(
        "accounting_firm", sa.column("id"), sa.column("name"), sa.column("created_at", portal_common.db.UTCDateTime())
    )
    users = sa.table(
        "firm_user",
        sa.column("user_id"),
        sa.column("firm_id"),
        sa.column("role"),
        sa.column("created_at", portal_common.db.UTCDateTime()),
    )
    for user_id, name in holders:
        firm_id = str(uuid.uuid4())
        bind.execute(sa.insert(firms).values(id=firm_id, name=name, created_at=now))
        bind.execute(sa.insert(users).values(user_id=user_id, firm_id=firm_id, role="admin", created_at=now))


def downgrade() -> None:
    op.drop_column("user_account", "mail_opt_outs")
    op.drop_column("member_invitation", "firm_id")
    op.drop_index(op.f("ix_firm_user_firm_id"), table_name="firm_user")
    op.drop_table("firm_user")
    op.drop_table("accounting_firm")
