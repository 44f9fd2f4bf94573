"""employee imports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:15:00
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('employee_import',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_format', sa.String(length=4), nullable=False),
    sa.Column('content_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('header', sa.JSON(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('error_rows', sa.Integer(), nullable=False),
    sa.Column('duplicate_rows', sa.Integer(), nullable=False),
    sa.Column('imported_rows', sa.Integer(), nullable=False),
    sa.Column('failure', sa.String(length=300), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('confirmed_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employee_import'))
    )
    with op.batch_alter_table('employee_import', schema=None) as batch_op:
        batch_op.create_index('ix_employee_import_member', ['member_id', 'created_at'], unique=False)
        batch_op.create_index('ix_employee_import_status', ['status'], unique=False)

    op.create_table('employee_import_row',
    sa.Column('import_id', sa.String(length=36), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('nir_masked', sa.String(length=21), nullable=True),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('duplicates', sa.JSON(), nullable=False),
    sa.Column('has_problem', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('import_id', 'line', name=op.f('pk_employee_import_row'))
    )


def downgrade() -> None:
    op.drop_table('employee_import_row')
    with op.batch_alter_table('employee_import', schema=None) as batch_op:
        batch_op.drop_index('ix_employee_import_status')
        batch_op.drop_index('ix_employee_import_member')

    op.drop_table('employee_import')
