"""members e-mails the requester when a change request is validated or refused: its mail outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 14:40:00
"""

from portal_common.migrations import create_mail_table, drop_mail_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_mail_table()


def downgrade() -> None:
    drop_mail_table()
