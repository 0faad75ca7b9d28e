"""The migrations build exactly the schema that server/tables.py describes, on each backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from server.tables import metadata


def _built_on(dialect: str):
    """Alembic's include_object: what tables.py gives this backend (tables.postgresql_only marks the rest)."""
    return lambda obj, name, type_, reflected, compare_to: reflected or obj.info.get("dialect", dialect) == dialect


def test_migrated_database_matches_the_table_definitions(engine):
    with engine.connect() as conn:
        options = {"compare_type": True, "include_object": _built_on(conn.dialect.name)}
        context = MigrationContext.configure(conn, opts=options)
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_only_postgresql_gets_the_byte_wise_indexes_the_admin_searches_use(engine):
    """SQLite compares bytes already, so its primary keys serve the prefix searches."""
    indexes = inspect(engine).get_indexes("client_contacts") + inspect(engine).get_indexes("client_domains")
    bytewise = {index["name"] for index in indexes if index["name"].endswith("bytewise")}
    if engine.dialect.name == "sqlite":
        assert bytewise == set()
        return
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE :names"), {"names": "%bytewise"}
        )
        definitions = dict(rows.all())
    assert (
        set(definitions) == bytewise == {"ix_client_contacts_match_key_bytewise", "ix_client_domains_domain_bytewise"}
    )
    assert all('COLLATE "C"' in definition for definition in definitions.values())
