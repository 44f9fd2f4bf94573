"""« Accueil » counts a company's present employees by category from one index (an index-only scan)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:40:00
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_employee_member_category',
        'employee',
        ['member_id', 'base_category', 'birth_date'],
        unique=False,
        postgresql_include=['hire_date', 'exit_date'],
    )


def downgrade() -> None:
    op.drop_index('ix_employee_member_category', table_name='employee')
