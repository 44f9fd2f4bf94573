"""login limits per account and address: attempts per minute, the account of an (account, address) counter

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 11:20:00
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('login_throttle', sa.Column('account_key', sa.String(length=64), nullable=True))
    op.add_column('login_throttle', sa.Column('minute_started_at', portal_common.db.UTCDateTime(), nullable=True))
    op.add_column(
        'login_throttle', sa.Column('minute_attempts', sa.Integer(), server_default='0', nullable=False)
    )
    op.create_index(op.f('ix_login_throttle_account_key'), 'login_throttle', ['account_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_login_throttle_account_key'), table_name='login_throttle')
    op.drop_column('login_throttle', 'minute_attempts')
    op.drop_column('login_throttle', 'minute_started_at')
    op.drop_column('login_throttle', 'account_key')
