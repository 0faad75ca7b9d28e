"""sources of truth: sync runs, and the CRM id of synced client accounts

Revision ID: 0003_sync
Revises: 0002_approvals
Create Date: 2026-11-22 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0003_sync'
down_revision = '0002_approvals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('client_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.create_index('ix_client_accounts_source_external_id', ['source', 'external_id'], unique=True)

    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('removed', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('conflicts', sa.JSON(), nullable=False),
    sa.Column('cursor', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.create_index('ix_sync_runs_source_id', ['source', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_runs_source_id')

    op.drop_table('sync_runs')
    with op.batch_alter_table('client_accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_client_accounts_source_external_id')
        batch_op.drop_column('external_id')
