"""leavers recognised by who they are: each departure's directory account; sign-off requests keyed by the record

Departures get the person's account in the company directory (Entra ID object id and
tenant GUID, or a Google user id with tenant "google"), filled by the directory syncs,
one departure per account. Sign-off requests are from now on keyed by the departure's
primary address, whatever alias the token showed: requests already stored under an
alias of a registered leaver are moved to that primary key, so their sender still
finds them and an approval given before the upgrade still lifts its message.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

REKEY = sa.text(
    "UPDATE approval_requests SET sender_key = ("
    " SELECT departures.match_key FROM departure_addresses"
    " JOIN departures ON departures.id = departure_addresses.departure_id"
    " WHERE departure_addresses.match_key = approval_requests.sender_key)"
    " WHERE sender_key IN (SELECT match_key FROM departure_addresses WHERE is_primary = :alias)"
)


def upgrade() -> None:
    with op.batch_alter_table('departures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('tenant_id', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_departures_tenant_id_object_id', ['tenant_id', 'object_id'], unique=True)
    op.get_bind().execute(REKEY, {'alias': False})


def downgrade() -> None:
    # The requests' new keys are kept: each is the primary address of the same person.
    with op.batch_alter_table('departures', schema=None) as batch_op:
        batch_op.drop_index('ix_departures_tenant_id_object_id')
        batch_op.drop_column('tenant_id')
        batch_op.drop_column('object_id')
