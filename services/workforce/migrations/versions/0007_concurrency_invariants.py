"""invariants held by the database: one present employee per company and NIR, one exit per employment

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 11:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

PRESENT = sa.text("exit_date IS NULL")
EXITED = sa.text("kind = 'exited'")


def _refuse_if_any(sql: str, what: str) -> None:
    """Rows written before the invariant existed are never merged silently: staff decide which one stands."""
    found = op.get_bind().execute(sa.text(sql)).scalar() or 0
    if found:
        raise RuntimeError(
            f"{found} {what}: resolve them (exit or correct the duplicates) before upgrading; see "
            "docs/architecture.md, 'Concurrency and retries'"
        )


def upgrade() -> None:
    _refuse_if_any(
        "SELECT count(*) FROM (SELECT member_id, nir_hash FROM employee WHERE exit_date IS NULL "
        "GROUP BY member_id, nir_hash HAVING count(*) > 1) AS duplicated",
        "companies list one NIR on several present employees",
    )
    _refuse_if_any(
        "SELECT count(*) FROM (SELECT employee_id FROM employee_history WHERE kind = 'exited' "
        "GROUP BY employee_id HAVING count(*) > 1) AS duplicated",
        "employees have more than one exit",
    )
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.create_index(
            'uq_employee_present_nir', ['member_id', 'nir_hash'], unique=True,
            postgresql_where=PRESENT, sqlite_where=PRESENT,
        )
    with op.batch_alter_table('employee_history', schema=None) as batch_op:
        batch_op.create_index(
            'uq_employee_history_one_exit', ['employee_id'], unique=True,
            postgresql_where=EXITED, sqlite_where=EXITED,
        )


def downgrade() -> None:
    with op.batch_alter_table('employee_history', schema=None) as batch_op:
        batch_op.drop_index('uq_employee_history_one_exit')
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.drop_index('uq_employee_present_nir')
