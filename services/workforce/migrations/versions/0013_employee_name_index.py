"""The employee list's count and letters, then its page, each from an index alone (index-only scans): the index on
(member_id, initial) now includes the hire and exit dates, and a second one follows the list's order

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:00:00
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_employee_member_initial", table_name="employee")
    op.create_index(
        "ix_employee_member_initial",
        "employee",
        ["member_id", "initial"],
        unique=False,
        postgresql_include=["hire_date", "exit_date"],
    )
    op.create_index(
        "ix_employee_member_name",
        "employee",
        ["member_id", "initial", "search_text", "id"],
        unique=False,
        postgresql_include=["hire_date", "exit_date"],
    )


def downgrade() -> None:
    op.drop_index("ix_employee_member_name", table_name="employee")
    op.drop_index("ix_employee_member_initial", table_name="employee")
    op.create_index("ix_employee_member_initial", "employee", ["member_id", "initial"], unique=False)
