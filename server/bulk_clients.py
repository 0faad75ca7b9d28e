"""Set-based SQL for CSV imports and exports of the client directory.

A clients file (up to millions of rows) is copied into a temporary staging
table, checked there (a domain or contact given to two accounts), counted
against what is stored, then written by bulk_merge.py with `INSERT … SELECT …
ON CONFLICT` a batch of staged lines at a time, so memory stays flat whatever
the file's size. PostgreSQL loads the staging table with COPY; SQLite with
executemany. Exports are streamed.

SQLAlchemy Core only; every function takes a Connection and the caller owns the
transaction. Supports the SQLite and PostgreSQL dialects. Must not import Flask.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from . import tables as t

# Temporary: it lives as long as the connection (SQLite) or the transaction
# (PostgreSQL, ON COMMIT DROP), is never seen by other sessions, and is not in
# the migrated schema.
_staging = MetaData()
client_rows = Table(
    "import_client_rows",
    _staging,
    Column("line", Integer, primary_key=True),
    Column("account", String(200), nullable=False),
    Column("owner", t.ADDRESS),
    Column("domain", t.DOMAIN),
    Column("contact_key", t.ADDRESS),
    Column("contact_email", t.ADDRESS),
    Column("contact_name", String(200)),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
STAGED_COLUMNS = tuple(c.name for c in client_rows.columns)
_STAGING_INDEXED = ("account", "domain", "contact_key")


def create_staging(conn: Connection) -> None:
    """A fresh, empty staging table on this connection."""
    drop_staging(conn)
    client_rows.create(conn)


def drop_staging(conn: Connection) -> None:
    """Drop the staging table of this connection, if there is one (SQLite keeps it past a rollback)."""
    schema = "pg_temp" if conn.dialect.name == "postgresql" else "temp"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{client_rows.name}")


def stage_client_rows(conn: Connection, rows: Sequence[tuple]) -> None:
    """Append `rows` (tuples in STAGED_COLUMNS order) to the staging table."""
    if conn.dialect.name == "postgresql":
        _copy(conn, rows)
    else:
        placeholders = ", ".join("?" for _ in STAGED_COLUMNS)
        conn.exec_driver_sql(f"INSERT INTO {client_rows.name} VALUES ({placeholders})", list(rows))


def _copy(conn: Connection, rows: Sequence[tuple]) -> None:
    """COPY into the staging table through the psycopg connection under this transaction."""
    statement = f"COPY {client_rows.name} ({', '.join(STAGED_COLUMNS)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def index_staging(conn: Connection) -> None:
    """Prepare the loaded staging table for the checks and upserts.

    PostgreSQL answers them with hash aggregates and hash joins once it knows the
    table's size (autovacuum never analyses a temporary table); SQLite has
    neither, so it gets indexes, built once loaded (faster than row by row; plain
    DDL, so the Table never owns them).
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {client_rows.name}")
        return
    for column in _STAGING_INDEXED:
        conn.exec_driver_sql(f"CREATE INDEX ix_{client_rows.name}_{column} ON {client_rows.name} ({column})")


# --- checks and counts --------------------------------------------------------


def later_conflicts(conn: Connection, key: str, shown: str, other: str) -> Iterator[tuple[int, str, int, str]]:
    """Rows whose `key` came earlier in the file with a different `other` value.

    Yields (line, that row's `shown` value, first line of `key`, the first row's
    `other` value), in line order. With key=domain and other=account: a domain
    given to two accounts; with key=account and other=owner: two owners.
    """
    rows, first_rows = client_rows.alias("later"), client_rows.alias("first")
    firsts = (
        select(client_rows.c[key].label("key"), func.min(client_rows.c.line).label("line"))
        .where(client_rows.c[key].is_not(None), client_rows.c[other].is_not(None))
        .group_by(client_rows.c[key])
        .subquery()
    )
    query = (
        select(rows.c.line, rows.c[shown], first_rows.c.line, first_rows.c[other])
        .join(firsts, firsts.c.key == rows.c[key])
        .join(first_rows, first_rows.c.line == firsts.c.line)
        .where(rows.c[other].is_not(None), rows.c[other] != first_rows.c[other])
        .order_by(rows.c.line)
    )
    for row in conn.execute(query.execution_options(yield_per=1000)):  # streamed: there may be millions
        yield row[0], row[1], row[2], row[3]


@dataclass(frozen=True, slots=True)
class Staged:
    """One kind of key in the staging table: rows that give one, distinct keys, and how many are stored."""

    rows: int
    keys: int
    stored: int

    @property
    def repeated(self) -> bool:
        return self.rows != self.keys


def staged_counts(conn: Connection) -> dict[str, Staged]:
    """Staged accounts (by name), domains and contacts (by key), counted against what is stored."""
    pairs = {
        "accounts": (client_rows.c.account, t.client_accounts.c.name),
        "domains": (client_rows.c.domain, t.client_domains.c.domain),
        "contacts": (client_rows.c.contact_key, t.client_contacts.c.match_key),
    }
    return {name: _count(conn, staged, stored) for name, (staged, stored) in pairs.items()}


def _count(conn: Connection, staged, stored) -> Staged:
    query = (
        select(func.count(staged), func.count(staged.distinct()), func.count(stored.distinct()))
        .select_from(client_rows.outerjoin(stored.table, stored == staged))
        .where(staged.is_not(None))
    )
    return Staged(*conn.execute(query).one())


# --- writing (bulk_merge.py batches these) ------------------------------------------------------


def dialect_insert(conn: Connection, table: Table):
    """The dialect's INSERT, which knows ON CONFLICT (bulk_departures upserts with it too)."""
    dialects = {"postgresql": postgresql, "sqlite": sqlite}
    if conn.dialect.name not in dialects:
        raise NotImplementedError(f"bulk imports support SQLite and PostgreSQL, not {conn.dialect.name}")
    return dialects[conn.dialect.name].insert(table)


def changed(table: Table, new: dict) -> ColumnElement[bool]:
    """True where any column of `table` would get a different value from `new` (NULL-safe).

    An upsert updates only where this holds, so re-importing the same file rewrites no row (no write
    amplification, no dead tuples on PostgreSQL).
    """
    return or_(*(table.c[name].is_distinct_from(value) for name, value in new.items()))


# --- export ----------------------------------------------------------------------------


def client_export_rows(conn: Connection) -> Iterator[tuple[str, str, str, str, str]]:
    """(account, domain, contact email, contact name, owner) for every domain and contact, by account.

    Streamed: the rows are never all in memory.
    """
    accounts, domains, contacts = t.client_accounts, t.client_domains, t.client_contacts
    by_domain = select(
        accounts.c.name.label("account"),
        domains.c.domain.label("domain"),
        null().label("email"),
        null().label("name"),
        accounts.c.owner_email.label("owner"),
        literal(0).label("kind"),
    ).join(accounts, accounts.c.id == domains.c.account_id)
    by_contact = select(
        accounts.c.name, null(), contacts.c.email, contacts.c.name, accounts.c.owner_email, literal(1)
    ).join(accounts, accounts.c.id == contacts.c.account_id)
    rows = union_all(by_domain, by_contact).subquery()
    query = select(rows.c.account, rows.c.domain, rows.c.email, rows.c.name, rows.c.owner).order_by(
        rows.c.account, rows.c.kind, rows.c.domain, rows.c.email
    )
    for row in conn.execute(query.execution_options(yield_per=10_000)):
        yield tuple(value or "" for value in row)
