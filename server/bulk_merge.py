"""Writing a staged, checked clients file into the client directory, a bounded batch at a time.

The file waits in bulk_clients' staging table. Accounts are written first (from a temporary table of one
row per account), then the domains and contacts of BATCH_LINES staged lines at a time, each batch a few
INSERT … SELECT … ON CONFLICT statements over its own lines: no statement grows with the file, and an
update is skipped where nothing changed (re-importing a file rewrites no row).

`merge` decides the transactions, by backend:
- PostgreSQL writes every batch in the import's one transaction. Readers see the directory as it was until
  the commit; a process that dies leaves nothing (the server rolls back); checks are not held up, as
  their audit rows lock nothing the import writes.
- SQLite has one writer at a time, and every check writes its audit row. Each batch is its own short
  write transaction (BEGIN IMMEDIATE: it waits for the lock inside the busy timeout, and never fails on a
  snapshot another writer made stale), and the import pauses after each so that waiting writers get in.
  Checks meanwhile see each row either as it was or as imported (imports only add and update). Each
  batch first records in `import_undo` the keys it adds and the rows it overwrites; the import's last
  transaction deletes that journal with the audit row and the job's end, and `undo_one` replays it
  backwards for an import whose process died, so an import is still all or nothing.

SQLAlchemy Core only; every function takes a Connection. Must not import Flask.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from . import tables as t
from .bulk_clients import Staged, changed, client_rows, dialect_insert
from .csv_formats import SOURCE

#: Staged lines per batch: ~40 ms of SQLite's write lock (bench/import_under_load_bench.py).
BATCH_LINES = 4_000
#: SQLite: the pause after each batch, as a share of the batch's time (at least MIN_PAUSE): the busy
#: handler of a waiting writer polls every few milliseconds at first, then every 25–100 ms.
PAUSE_SHARE, MIN_PAUSE = 1.0, 0.02
_CHUNK = 500  # keys per statement when undoing

_temporary = MetaData()
accounts_rows = Table(
    "import_client_accounts",
    _temporary,
    Column("seq", Integer, primary_key=True),
    Column("account", String(200), nullable=False),
    Column("owner", t.ADDRESS),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
# The last line of each repeated domain or contact (in a file, the last row wins); only when one repeats.
last_lines = {
    kind: Table(
        f"import_last_{kind}",
        _temporary,
        Column("line", Integer, primary_key=True),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    for kind in ("domains", "contacts")
}


@dataclass(frozen=True, slots=True)
class Plan:
    """What there is to write: accounts, staged lines, and whether domains or contacts repeat."""

    accounts: int
    lines: int
    dedupe: frozenset[str]
    keep_names: bool

    def batches(self) -> Iterator[tuple[str, int, int]]:
        """("accounts" | "lines", first, last) ranges of at most BATCH_LINES, accounts first."""
        for kind, count in (("accounts", self.accounts), ("lines", self.lines)):
            for first in range(1, count + 1, BATCH_LINES):
                yield kind, first, min(first + BATCH_LINES - 1, count)


def prepare(conn: Connection, counts: dict[str, Staged], *, keep_names: bool) -> Plan:
    """Build the temporary tables the batches read (in the staging transaction: no write lock on SQLite)."""
    drop_temporary(conn)
    accounts_rows.create(conn)
    totals = select(client_rows.c.account, func.max(client_rows.c.owner)).group_by(client_rows.c.account)
    conn.execute(insert(accounts_rows).from_select(["account", "owner"], totals.order_by(client_rows.c.account)))
    dedupe = frozenset(kind for kind in ("domains", "contacts") if counts[kind].repeated)
    for kind in dedupe:
        key = _key(kind)
        last_lines[kind].create(conn)
        last = select(func.max(client_rows.c.line)).where(key.is_not(None)).group_by(key)
        conn.execute(insert(last_lines[kind]).from_select(["line"], last))
    lines = conn.scalar(select(func.coalesce(func.max(client_rows.c.line), 0)))
    return Plan(conn.scalar(select(func.count()).select_from(accounts_rows)), lines, dedupe, keep_names)


def drop_temporary(conn: Connection) -> None:
    schema = "pg_temp" if conn.dialect.name == "postgresql" else "temp"
    for table in (accounts_rows, *last_lines.values()):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{table.name}")


def merge(
    conn: Connection,
    plan: Plan,
    now: datetime,
    *,
    job_id: int,
    after_batch: Callable[[int], None],
    finish: Callable[[Connection], None],
) -> None:
    """Write every batch, then `finish(conn)` (audit, the job's end) and commit: see the module docstring.

    `conn` is in the staging transaction; `after_batch(lines written so far)` runs between batches.
    """
    one_transaction = conn.dialect.name == "postgresql"
    if not one_transaction:
        conn.commit()  # the staging transaction read the directory; writes start from a fresh snapshot
    for kind, first, last in plan.batches():
        started = time.monotonic()
        with _batch_transaction(conn, one_transaction):
            journal = None if one_transaction else job_id
            if kind == "accounts":
                _write_accounts(conn, first, last, now, journal)
            else:
                _write_lines(conn, plan, first, last, journal)
        if not one_transaction:
            time.sleep(max(MIN_PAUSE, (time.monotonic() - started) * PAUSE_SHARE))
        after_batch(last if kind == "lines" else 0)
    with _batch_transaction(conn, one_transaction):
        finish(conn)
        conn.execute(delete(t.import_undo).where(t.import_undo.c.job_id == job_id))
    if one_transaction:
        conn.commit()


@contextmanager
def _batch_transaction(conn: Connection, inside_one: bool) -> Iterator[None]:
    if inside_one:
        yield
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # take SQLite's write lock first; pysqlite then adds no BEGIN
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


# --- the batches ---------------------------------------------------------------------------------------


def _key(kind: str):
    return client_rows.c.domain if kind == "domains" else client_rows.c.contact_key


def _write_accounts(conn: Connection, first: int, last: int, now: datetime, journal: int | None) -> None:
    accounts, staged = t.client_accounts, accounts_rows
    rows = select(staged.c.account, staged.c.owner, literal(SOURCE), literal(now, DateTime(timezone=True)))
    rows = rows.where(staged.c.seq.between(first, last))
    statement = dialect_insert(conn, accounts).from_select(["name", "owner_email", "source", "updated_at"], rows)
    # An empty OwnerEmail keeps the stored owner, as store.ensure_account does.
    new = {
        "owner_email": func.coalesce(statement.excluded.owner_email, accounts.c.owner_email),
        "source": literal(SOURCE),
    }
    if journal is not None:
        before = (
            select(staged.c.account, accounts.c.id, accounts.c.owner_email, accounts.c.source, accounts.c.updated_at)
            .select_from(staged.outerjoin(accounts, accounts.c.name == staged.c.account))
            .where(staged.c.seq.between(first, last))
        )
        new_owner = func.coalesce(staged.c.owner, accounts.c.owner_email)
        before = before.where(
            accounts.c.id.is_(None)
            | accounts.c.owner_email.is_distinct_from(new_owner)
            | accounts.c.source.is_distinct_from(SOURCE)
        )
        _record(conn, journal, "accounts", before)
    set_ = {**new, "updated_at": statement.excluded.updated_at}
    conn.execute(
        statement.on_conflict_do_update(index_elements=[accounts.c.name], set_=set_, where=changed(accounts, new))
    )


def _lines(kind: str, plan: Plan, first: int, last: int):
    """The staged lines of this batch that write a `kind` (only the last of a repeated key).

    Every statement over them has a WHERE, which SQLite needs before ON CONFLICT in INSERT … SELECT.
    """
    where = client_rows.c.line.between(first, last) & _key(kind).is_not(None)
    if kind in plan.dedupe:
        last_line = last_lines[kind].c.line
        where &= client_rows.c.line.in_(select(last_line).where(last_line.between(first, last)))
    return where


def _write_lines(conn: Connection, plan: Plan, first: int, last: int, journal: int | None) -> None:
    accounts = t.client_accounts
    for kind, table, key, columns in (
        ("domains", t.client_domains, "domain", {"account_id": accounts.c.id, "source": literal(SOURCE)}),
        (
            "contacts",
            t.client_contacts,
            "match_key",
            {
                "email": client_rows.c.contact_email,
                "name": client_rows.c.contact_name,
                "account_id": accounts.c.id,
                "source": literal(SOURCE),
            },
        ),
    ):
        names = [key, *columns]
        rows = (
            select(_key(kind), *columns.values())
            .join(accounts, accounts.c.name == client_rows.c.account)
            .where(_lines(kind, plan, first, last))
        )
        updated = [n for n in columns if not (plan.keep_names and n == "name")]
        if journal is not None:
            _record(conn, journal, kind, _overwritten(rows, table, key, names, updated))
        statement = dialect_insert(conn, table).from_select(names, rows)
        new = {name: statement.excluded[name] for name in updated}
        conn.execute(
            statement.on_conflict_do_update(index_elements=[table.c[key]], set_=new, where=changed(table, new))
        )


def _overwritten(rows: Select, table: Table, key: str, names: list[str], updated: list[str]) -> Select:
    """(key, the stored row's id-or-key, its stored columns) of each row the batch will add or change."""
    incoming = rows.subquery("incoming")
    stored = [table.c[name] for name in names[1:]]
    differs = [table.c[name].is_distinct_from(incoming.c[i + 1]) for i, name in enumerate(names[1:]) if name in updated]
    query = select(incoming.c[0], table.c[key], *stored).select_from(
        incoming.outerjoin(table, table.c[key] == incoming.c[0])
    )
    condition = table.c[key].is_(None)
    for difference in differs:
        condition |= difference
    return query.where(condition)


def _record(conn: Connection, job_id: int, kind: str, before: Select) -> None:
    """One journal row: the keys the batch adds, and the stored values of the rows it changes."""
    added, overwritten = [], []
    for key, stored_key, *values in conn.execute(before):
        if stored_key is None:
            added.append(key)
        else:
            overwritten.append([key, *(v.isoformat() if isinstance(v, datetime) else v for v in values)])
    if added or overwritten:
        conn.execute(insert(t.import_undo).values(job_id=job_id, kind=kind, added=added, changed=overwritten))


# --- undo ---------------------------------------------------------------------------------------------------

# kind -> (table, key column, the columns a journal row's `changed` holds after the key)
_JOURNALED = {
    "accounts": (t.client_accounts, "name", ("owner_email", "source", "updated_at")),
    "domains": (t.client_domains, "domain", ("account_id", "source")),
    "contacts": (t.client_contacts, "match_key", ("email", "name", "account_id", "source")),
}


def undo_one(conn: Connection, job_id: int) -> bool:
    """Undo the newest journal row of `job_id` and delete it (in the caller's transaction); False when none is left."""
    row = conn.execute(
        select(t.import_undo).where(t.import_undo.c.job_id == job_id).order_by(t.import_undo.c.id.desc()).limit(1)
    ).first()
    if row is None:
        return False
    table, key, columns = _JOURNALED[row.kind]
    if row.changed:
        restore = update(table).where(table.c[key] == bindparam("k")).values({c: bindparam(f"v_{c}") for c in columns})
        conn.execute(restore, [_restored(key_value, columns, values) for key_value, *values in row.changed])
    for chunk in _chunks(row.added):
        conn.execute(delete(table).where(table.c[key].in_(chunk)))
    conn.execute(delete(t.import_undo).where(t.import_undo.c.id == row.id))
    return True


def _restored(key_value: str, columns: Sequence[str], values: Sequence) -> dict:
    parameters = {"k": key_value}
    for column, value in zip(columns, values, strict=True):
        parameters[f"v_{column}"] = datetime.fromisoformat(value) if column == "updated_at" else value
    return parameters


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]
