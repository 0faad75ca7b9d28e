"""The migrations build exactly the schema that server/tables.py describes, on each backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.tables import metadata


def test_migrated_database_matches_the_table_definitions(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []
