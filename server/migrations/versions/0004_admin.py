"""admin console: the texts users see and the fail mode as policy settings; CSV uploads awaiting confirmation

Revision ID: 0004_admin
Revises: 0003_sync
Create Date: 2026-11-22 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_admin'
down_revision = '0003_sync'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('policy_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('fail_mode', sa.String(length=10), nullable=True))

    op.create_table('pending_uploads',
    sa.Column('id', sa.String(length=43), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_uploads'))
    )


def downgrade() -> None:
    op.drop_table('pending_uploads')
    with op.batch_alter_table('policy_settings', schema=None) as batch_op:
        batch_op.drop_column('fail_mode')
        batch_op.drop_column('texts')
