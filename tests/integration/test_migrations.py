"""The migrations build exactly the schema that server/tables.py describes, on each backend."""

from datetime import UTC, date, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, text

from server import db, tables
from server.tables import metadata

ALICE, ALIAS = "alice@northwind.example", "a.smith@northwind.example"


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


def test_sign_off_requests_stored_under_a_leavers_alias_move_to_her_primary_address(tmp_path):
    """Migration 0008 keys requests by the departure's primary address, as the check now looks them up."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(db.alembic_config(engine), "0007")
    now = datetime(2026, 11, 22, tzinfo=UTC)
    with engine.begin() as conn:  # the columns 0007 has (Core fills the Python-side defaults)
        values = {"email": ALICE, "match_key": ALICE, "status": "active", "source": "manual", "updated_at": now}
        dates = {"notice_date": date(2026, 11, 1), "last_working_date": date(2026, 12, 31)}
        conn.execute(insert(tables.departures).values(id=1, **values, **dates))
        conn.execute(
            insert(tables.departure_addresses),
            [
                {"match_key": ALICE, "email": ALICE, "departure_id": 1, "is_primary": True},
                {"match_key": ALIAS, "email": ALIAS, "departure_id": 1, "is_primary": False},
            ],
        )
        for sender in (ALIAS, ALICE, "carol@northwind.example"):
            request = {"sender_key": sender, "sender_email": sender, "fingerprint": "sha256:x", "status": "pending"}
            conn.execute(
                insert(tables.approval_requests).values(**request, recipients=[], attachments=[], created_at=now)
            )

    db.upgrade(engine)

    with engine.connect() as conn:
        keys = conn.execute(text("SELECT sender_key, sender_email FROM approval_requests ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in keys] == [
        (ALICE, ALIAS),
        (ALICE, ALICE),
        ("carol@northwind.example", "carol@northwind.example"),
    ]
