"""DSN imports: the member's SIRET in the directory, and what a preview row does and where it comes from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL until the next member snapshot event brings it (a DSN import says so meanwhile).
    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('siret', sa.String(length=14), nullable=True))
    with op.batch_alter_table('employee_import_row', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('file_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('file_line', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('employee_import_row', schema=None) as batch_op:
        batch_op.drop_column('file_line')
        batch_op.drop_column('file_name')
        batch_op.drop_column('action')
    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.drop_column('siret')
