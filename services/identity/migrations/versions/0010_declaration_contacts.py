"""the addresses workforce sends each company's campaign opening to, so identity does not mail them a second time

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty until the next member snapshot: meanwhile an administrator may hear of a campaign from both services.
    op.create_table(
        "member_declaration_contact",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "email", name=op.f("pk_member_declaration_contact")),
    )


def downgrade() -> None:
    op.drop_table("member_declaration_contact")
