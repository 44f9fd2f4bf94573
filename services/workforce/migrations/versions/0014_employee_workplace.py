"""employee workplace: the SIRET of the establishment where the employee works (DSN S21.G00.40.019)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the employees already listed: the next DSN import fills it.
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workplace_siret", sa.String(length=14), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.drop_column("workplace_siret")
