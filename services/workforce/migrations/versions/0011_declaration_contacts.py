"""every declaration contact of a company receives the campaign e-mail: one row per address instead of one column

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_declaration_contact',
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('member_id', 'email', name=op.f('pk_member_declaration_contact'))
    )
    # The one address kept so far, until the next member snapshot brings them all.
    op.execute(
        "INSERT INTO member_declaration_contact (member_id, email) "
        "SELECT member_id, lower(declaration_email) FROM member_directory WHERE declaration_email IS NOT NULL"
    )
    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.drop_column('declaration_email')


def downgrade() -> None:
    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declaration_email', sa.String(length=254), nullable=True))
    op.execute(
        "UPDATE member_directory SET declaration_email = (SELECT min(email) FROM member_declaration_contact c "
        "WHERE c.member_id = member_directory.member_id)"
    )
    op.drop_table('member_declaration_contact')
