"""employee place of birth

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 02:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Both NULL for the employees already listed: "Contrôler la liste" asks for them.
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_commune', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('birth_country', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.drop_column('birth_country')
        batch_op.drop_column('birth_commune')
