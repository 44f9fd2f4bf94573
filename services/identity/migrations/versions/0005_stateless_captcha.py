"""stateless captcha: spent tokens replace the per-browser challenge rows

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 06:00:00
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('captcha_spent',
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('expires_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_captcha_spent'))
    )
    # Challenges shown before the upgrade die with the table: their browsers get a new image.
    op.drop_table('captcha_challenge')


def downgrade() -> None:
    op.create_table('captcha_challenge',
    sa.Column('presession_hash', sa.String(length=64), nullable=False),
    sa.Column('answer_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('presession_hash', name=op.f('pk_captcha_challenge'))
    )
    op.drop_table('captcha_spent')
