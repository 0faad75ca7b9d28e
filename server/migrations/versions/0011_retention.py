"""retention: mark the sign-off requests whose message content was removed

Requests that ended longer ago than LEAVERGUARD_RETAIN_MESSAGE_DAYS lose their subject,
body, attachment names and justification (server/retention.py); `content_removed_at`
says when, so pages can say so and the purge does not visit a request twice.

Revision ID: 0011
Revises: 0005_admin_search
Create Date: 2026-12-08 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0005_admin_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('approval_requests', sa.Column('content_removed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('approval_requests') as batch:
        batch.drop_column('content_removed_at')
