"""retention: mark the sign-off requests whose message content was removed; indexes for the purge

Requests that ended longer ago than LEAVERGUARD_RETAIN_MESSAGE_DAYS lose their subject,
body, attachment names and justification (server/retention.py); `content_removed_at`
says when, so pages can say so and the purge does not visit a request twice. The two
indexes let housekeeping find what is due without reading the rows (bench/retention_bench.py:
a round with nothing due went from about 100 ms to a few on SQLite).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('approval_requests', sa.Column('content_removed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_approval_requests_ended', 'approval_requests',
                    ['status', 'decided_at', 'consumed_at', 'expires_at', 'content_removed_at'])
    op.create_index('ix_outbound_mail_status_sent', 'outbound_mail', ['status', 'sent_at', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_outbound_mail_status_sent', table_name='outbound_mail')
    op.drop_index('ix_approval_requests_ended', table_name='approval_requests')
    with op.batch_alter_table('approval_requests') as batch:
        batch.drop_column('content_removed_at')
