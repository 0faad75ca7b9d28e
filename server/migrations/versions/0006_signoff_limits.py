"""sign-off that cannot be gamed: the sender's addresses on each request, and indexes for the hourly limits

`approval_requests.sender_keys` holds the keys of every address the sender's departure record knew
when they asked, so nobody decides their own request under another address. The two indexes serve
the limits counted in the database when a request is made: requests per sender in the last hour,
and request mails (one link each) per approver in the last hour.

Revision ID: 0006
Revises: 0005_admin_search
Create Date: 2026-11-23 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005_admin_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender_keys', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_index('ix_approval_requests_sender_created', ['sender_key', 'created_at'], unique=False)
    with op.batch_alter_table('approval_links', schema=None) as batch_op:
        batch_op.create_index('ix_approval_links_approver_created', ['approver_email', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('approval_links', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_links_approver_created')
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_requests_sender_created')
        batch_op.drop_column('sender_keys')
