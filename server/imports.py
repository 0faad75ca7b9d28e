"""Imports and exports of the departures register and the client directory as CSV files.

Imports are all-or-nothing: every problem in the file is reported with its
line, and nothing is written unless there is none. Rows are upserted by key
(a departure by its primary address, an account by name, a domain, a contact by
address key); `dry_run` returns the same report and writes nothing. Exports
(server/exports.py) write the import formats, so importing an export changes
nothing: reading a file undoes their escape of spreadsheet formulas.

Memory, by design:
- a departures file (a company's leavers, thousands of rows) is read twice:
  first to check it, holding each person's address keys to catch a person or
  an alias given twice; then, if it is clean, to write it in one transaction,
  1,000 people at a time (bulk_departures.upsert_departures, store.save_departure's rules);
- a clients file (up to millions of rows) is read once, 10,000 rows at a time,
  into a temporary staging table (bulk_clients.py); the checks across rows and the
  counts run in SQL, then bulk_merge.py writes it in bounded batches (one
  transaction on PostgreSQL; short ones with an undo journal on SQLite, so checks
  are not locked out), so memory does not grow with the file.

An import that writes a clients file runs as an import job (import_jobs.py): one
at a time, and undone if its process dies half-way.

Must not import Flask.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import Connection, Engine

from . import bulk_clients, bulk_departures, bulk_merge, import_jobs, store
from .csv_formats import (
    CLIENTS,
    DEPARTURES,
    CsvFormat,
    DepartureClaims,
    ErrorLog,
    LineError,
    Parsed,
    Record,
    claimed_twice,
    keep_unstated,
    no_employee_problems,
    parse_client,
    parse_departure,
    read_records,
    work_addresses,
)
from .import_report import ImportReport, Tally, failed_report
from .model import Departure, normalise_address

#: Rows sent to the database at a time (a departure brings its aliases and personal addresses).
BATCH_ROWS = 10_000
DEPARTURE_BATCH_ROWS = 1_000

#: A path, or a binary stream (seekable, for departures, which are read twice).
Source = str | os.PathLike | BinaryIO

# Checks across the rows of a clients file: (column reported, staged key, staged value shown, what rows
# with that key must agree on, the kind of key). A check runs only when its key is on more than one row.
_CLIENT_CROSS_CHECKS = (
    ("Domain", "domain", "domain", "account", "domains"),
    ("ContactEmail", "contact_key", "contact_email", "account", "contacts"),
    ("OwnerEmail", "account", "owner", "owner", "accounts"),
)


@contextmanager
def _opened(source: Source) -> Iterator[BinaryIO]:
    """A binary stream of `source`; a stream the caller passed stays open."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield stream
    else:
        yield source


class FileChanged(Exception):
    """The file read differently the second time: someone changed it during the import."""


class _Reading:
    """One pass over a file: the rows read so far and the problems found in them."""

    def __init__(self) -> None:
        self.rows = 0
        self.errors = ErrorLog()
        self.columns: frozenset[str] = frozenset()  # the file's columns, once a row has been read

    def good_rows(self, stream: BinaryIO, fmt: CsvFormat, parse: Callable[[Record], Parsed]) -> Iterator[Parsed]:
        """The rows that parse; every row is counted and every problem logged on the way."""
        for item in read_records(stream, fmt):
            if isinstance(item, Record):
                self.columns = self.columns or frozenset(item.cells)
            parsed = parse(item) if isinstance(item, Record) else item
            if isinstance(parsed, LineError):
                self.rows += parsed.line > 1  # problems of the whole file are on line 1, the header's
                self.errors.add([parsed])
                continue
            self.rows += 1
            self.errors.add(parsed.errors)
            if not parsed.errors:
                yield parsed


# --- departures ------------------------------------------------------------------


def import_departures(
    engine: Engine,
    source: Source,
    *,
    dry_run: bool = False,
    now: datetime,
    actor: str = "cli",
    job: import_jobs.Job | None = None,
) -> ImportReport:
    """Check a departures file, then (unless `dry_run`) upsert every row in one transaction.

    A register is small (thousands of people): one short transaction, on SQLite too. As `job`, the job's
    end commits with it.
    """
    with _opened(source) as stream:
        with engine.connect() as conn:
            rows, keys, errors = _check_departures(conn, stream)
        if errors:
            return failed_report(DEPARTURES.name, rows, errors)
        with engine.begin() as conn:
            existing = bulk_departures.existing_departure_keys(conn, keys)
            tally = Tally(added=len(keys) - len(existing), updated=len(existing))
            report = ImportReport(DEPARTURES.name, rows, {"departures": tally}, dry_run=dry_run)
            if not dry_run:
                stream.seek(0)
                _write_departures(conn, stream, now)
                _audit(conn, report, now, actor)
                if job is not None:
                    job.done_in(conn, report.as_json())
    return report


def _check_departures(conn: Connection, stream: BinaryIO) -> tuple[int, list[str], ErrorLog]:
    """Rows read, the primary address key of each good row, and every problem (no employee's addresses too)."""
    reading, claims, keys, batch = _Reading(), DepartureClaims(), [], []
    internal = store.load_settings(conn).internal_domains
    for parsed in reading.good_rows(stream, DEPARTURES, parse_departure):
        reading.errors.add(claims.claim(parsed.line, parsed.value))
        keys.append(normalise_address(parsed.value.email).key)
        batch.append(parsed)
        if len(batch) >= DEPARTURE_BATCH_ROWS:
            reading.errors.add(_no_employees(conn, batch, internal))
            batch = []
    reading.errors.add(_no_employees(conn, batch, internal))
    return reading.rows, keys, reading.errors


def _no_employees(conn: Connection, batch: list[Parsed], internal: frozenset[str]) -> list[LineError]:
    """The problems of a batch of rows whose work addresses are a client's contact or outside the company."""
    keys = [normalise_address(email).key for parsed in batch for _, email in work_addresses(parsed.value)]
    contacts = store.contact_accounts(conn, keys) if keys else {}
    return [error for parsed in batch for error in no_employee_problems(parsed.line, parsed.value, internal, contacts)]


def _write_departures(conn: Connection, stream: BinaryIO, now: datetime) -> None:
    """Save every row of a file that was checked a moment ago."""
    reading, batch = _Reading(), []
    for parsed in reading.good_rows(stream, DEPARTURES, parse_departure):
        batch.append(parsed.value)
        if len(batch) >= DEPARTURE_BATCH_ROWS:
            _write_departure_batch(conn, batch, reading.columns, now)
            batch = []
    if batch:
        _write_departure_batch(conn, batch, reading.columns, now)
    if reading.errors:
        raise FileChanged("the file changed while it was being imported; nothing was written, try again")


def _write_departure_batch(conn: Connection, batch: list[Departure], columns: frozenset[str], now: datetime) -> None:
    """Upsert a batch; optional columns the file does not have keep what is stored."""
    if not DEPARTURES.optional <= columns:
        stored = bulk_departures.departures_by_key(conn, [normalise_address(d.email).key for d in batch])
        batch = [keep_unstated(d, stored.get(normalise_address(d.email).key), columns) for d in batch]
    bulk_departures.upsert_departures(conn, batch, now)


# --- clients ---------------------------------------------------------------------


def import_clients(
    engine: Engine,
    source: Source,
    *,
    dry_run: bool = False,
    now: datetime,
    actor: str = "cli",
    job: import_jobs.Job | None = None,
) -> ImportReport:
    """Check a clients file and (unless `dry_run`) write it, all or nothing, in bounded batches (bulk_merge.py).

    A write runs as `job` (an import job the caller keeps running), or as a job of its own, created once the
    file is found good: import_jobs.ImportBusy while another clients import runs.
    """
    with _opened(source) as stream, engine.connect() as conn:
        try:
            report, counts, columns = _stage_and_check_clients(conn, stream, dry_run)
            if not report.written:
                return report
            plan = bulk_merge.prepare(conn, counts, keep_names="ContactName" not in columns)
            own = job is None
            if job is None:
                job = import_jobs.create(engine, kind="clients", actor=actor, filename=_name(source), now=now)
            with import_jobs.running(job) if own else nullcontext():
                job.phase("writing", rows_total=report.rows)

                def finish(last: Connection) -> None:
                    _audit(last, report, now, actor)
                    job.done_in(last, report.as_json())

                bulk_merge.merge(conn, plan, now, job_id=job.id, after_batch=job.wrote, finish=finish)
            return report
        finally:
            conn.rollback()  # what is left open: the staging transaction of a report, or one that failed
            with conn.begin():
                bulk_clients.drop_staging(conn)
                bulk_merge.drop_temporary(conn)


def _name(source: Source) -> str:
    return os.path.basename(source) if isinstance(source, str | os.PathLike) else ""


def _stage_and_check_clients(
    conn: Connection, stream: BinaryIO, dry_run: bool
) -> tuple[ImportReport, dict[str, bulk_clients.Staged], frozenset[str]]:
    """Stage the file and check it: the report so far, and the staged counts and file columns the upsert needs."""
    bulk_clients.create_staging(conn)
    reading = _stage_clients(conn, stream, functools.partial(parse_client, settings=store.load_settings(conn)))
    bulk_clients.index_staging(conn)
    counts = bulk_clients.staged_counts(conn)
    for column, key, shown, other, kind in _CLIENT_CROSS_CHECKS:
        if counts[kind].repeated:
            conflicts = bulk_clients.later_conflicts(conn, key, shown, other)
            reading.errors.add(
                claimed_twice(line, column, value, first, agreed) for line, value, first, agreed in conflicts
            )
    if reading.errors:
        return failed_report(CLIENTS.name, reading.rows, reading.errors), counts, reading.columns
    tallies = {name: Tally(c.keys - c.stored, c.stored) for name, c in counts.items()}
    return ImportReport(CLIENTS.name, reading.rows, tallies, dry_run=dry_run), counts, reading.columns


def _stage_clients(conn: Connection, stream: BinaryIO, parse: Callable[[Record], Parsed]) -> _Reading:
    """Copy the good rows into the staging table, a batch at a time; what the reading found."""
    reading, batch = _Reading(), []
    for parsed in reading.good_rows(stream, CLIENTS, parse):
        batch.append(_staged(parsed))
        if len(batch) >= BATCH_ROWS:
            bulk_clients.stage_client_rows(conn, batch)
            batch = []
    if batch:
        bulk_clients.stage_client_rows(conn, batch)
    return reading


def _staged(parsed: Parsed) -> tuple:
    """A good row in bulk_clients.STAGED_COLUMNS order."""
    row = parsed.value
    contact = row.contact
    return (
        parsed.line,
        row.account,
        row.owner,
        row.domain,
        contact.key if contact else None,
        contact.email if contact else None,
        row.contact_name if contact else None,
    )


def _audit(conn: Connection, report: ImportReport, now: datetime, actor: str) -> None:
    """One audit event per import that wrote something (DESIGN.md: imports are audited)."""
    tallies = {name: {"added": t.added, "updated": t.updated} for name, t in report.tallies.items()}
    details = {"rows": report.rows, "tallies": tallies}
    store.record_audit(conn, at=now, kind=f"import.{report.kind}", actor=actor, details=details)
