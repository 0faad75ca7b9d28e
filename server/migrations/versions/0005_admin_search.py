"""admin console search: contacts of an account in key order; on PostgreSQL, byte-wise indexes for prefix search

The Clients page pages an account's contacts by address key (keyset) and searches
domains and contact addresses by prefix. (account_id, match_key) replaces the index
on account_id alone. PostgreSQL's B-trees in the database's collation cannot answer
a prefix, so PostgreSQL also gets indexes on the keys in the "C" collation (byte-wise),
which the searches use (server/console/paging.py); SQLite's primary keys do already.

Revision ID: 0005_admin_search
Revises: 0004_admin
Create Date: 2026-11-22 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_admin_search'
down_revision = '0004_admin'
branch_labels = None
depends_on = None

BYTEWISE = {'match_key': 'COLLATE "C"', 'domain': 'COLLATE "C"'}


def upgrade() -> None:
    op.create_index('ix_client_contacts_account_id_match_key', 'client_contacts', ['account_id', 'match_key'],
                    postgresql_ops=BYTEWISE)
    op.drop_index('ix_client_contacts_account_id', table_name='client_contacts')
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_client_contacts_match_key_bytewise', 'client_contacts', ['match_key'],
                        postgresql_ops=BYTEWISE)
        op.create_index('ix_client_domains_domain_bytewise', 'client_domains', ['domain'], postgresql_ops=BYTEWISE)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_client_domains_domain_bytewise', table_name='client_domains')
        op.drop_index('ix_client_contacts_match_key_bytewise', table_name='client_contacts')
    op.create_index('ix_client_contacts_account_id', 'client_contacts', ['account_id'])
    op.drop_index('ix_client_contacts_account_id_match_key', table_name='client_contacts')
