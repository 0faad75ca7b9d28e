"""Clients CSV import benchmark: how long `imports.import_clients` takes for a big file, and its peak memory.

Generates a clients file with N contacts, N/10 domains and N/100 accounts (the
rows of each account together, as a CRM export writes them) into a temporary
directory, migrates a fresh database (default: a SQLite file in the same
directory), then times, in one run: a dry run, the first import (everything
added), a second import of the same file (everything updated) and an export.
Peak RSS is the process's high-water mark (ru_maxrss) after each step.

Target: the first import of 1,000,000 contacts in <= 60 s, with memory that
does not grow with the file, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.import_bench [--contacts 1000000] [--database-url URL]
    scripts/with-postgres.sh sh -c '.venv/bin/python -m bench.import_bench --database-url "$TEST_DATABASE_URL"'

The database must have no client accounts yet: the benchmark refuses to touch
a directory someone uses.
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from server import db, exports, imports, tables
from server.csv_formats import CLIENTS

DOMAINS_PER_ACCOUNT = 10
CONTACTS_PER_ACCOUNT = 100
FIRST_NAMES = ("ana", "bob", "chen", "dana", "emil", "fatima", "goran", "hana", "ivan", "julia")


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="leaverguard-import-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        _refuse_if_used(engine)
        path = Path(tmp) / "clients.csv"
        started = time.perf_counter()
        rows = write_clients_csv(path, args.contacts)
        print(f"generated {path.name}: {rows:,} rows, {path.stat().st_size / 2**20:,.0f} MiB", end="")
        print(f" in {time.perf_counter() - started:.1f} s; peak RSS before importing: {_peak_rss_mib():.0f} MiB")
        results = _measure(engine, path, rows)
        engine.dispose()
    _print_table(engine.dialect.name, args.contacts, results)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts in the file (default 1,000,000)")
    parser.add_argument("--database-url", default="", help="database to import into (default: a temp SQLite file)")
    return parser.parse_args(argv)


def _refuse_if_used(engine: Engine) -> None:
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(tables.client_accounts)):
            sys.exit("the database already has client accounts; give the benchmark an empty one")


# --- the file ----------------------------------------------------------------


def client_rows(contacts: int) -> Iterator[tuple[str, str, str, str, str]]:
    """Rows of a clients file: for each account its domains, then its contacts."""
    accounts = max(contacts // CONTACTS_PER_ACCOUNT, 1)
    for a in range(accounts):
        account, owner = f"Account {a:06d} Ltd", f"owner{a % 200}@northwind.example"
        domains = [f"client{a:06d}-{d}.example" for d in range(DOMAINS_PER_ACCOUNT)]
        for domain in domains:
            yield account, domain, "", "", owner
        for c in range(a * CONTACTS_PER_ACCOUNT, min((a + 1) * CONTACTS_PER_ACCOUNT, contacts)):
            yield account, "", *_contact(c, domains), owner


def _contact(c: int, domains: list[str]) -> tuple[str, str]:
    first = FIRST_NAMES[c % len(FIRST_NAMES)]
    # One contact in fifty writes from a personal webmail address, as real directories have.
    domain = "gmail.com" if c % 50 == 0 else domains[c % len(domains)]
    return f"{first}.person{c}@{domain}", f"{first.title()} Person{c}"


def write_clients_csv(path: Path, contacts: int) -> int:
    """Write the file (streamed); the number of data rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CLIENTS.columns)
        for row in client_rows(contacts):
            writer.writerow(row)
            count += 1
    return count


# --- measuring ---------------------------------------------------------------


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _timed(step: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def _measure(engine: Engine, path: Path, rows: int) -> list[tuple[str, float, int, float, str]]:
    """(step, seconds, rows, peak RSS MiB so far, what it did) for each step."""
    now = datetime.now(UTC)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("dry run", lambda: imports.import_clients(engine, path, dry_run=True, now=now)),
        ("import (all new)", lambda: imports.import_clients(engine, path, now=now)),
        ("import again (all updates)", lambda: imports.import_clients(engine, path, now=now)),
        ("export", lambda: exports.export_clients(engine, _Discard(), actor="bench", now=now)),
    ]
    results = []
    for name, step in steps:
        seconds, outcome = _timed(step)
        if isinstance(outcome, imports.ImportReport) and not outcome.ok:
            sys.exit(f"{name} failed: {outcome.errors[0]}")
        summary = outcome.summary() if isinstance(outcome, imports.ImportReport) else f"{outcome:,} rows written"
        results.append((name, seconds, rows, _peak_rss_mib(), summary))
        print(f"{name}: {seconds:.1f} s — {summary}", flush=True)
    return results


class _Discard(io.TextIOBase):
    """A text stream that throws the export away: the benchmark times the database, not the disk."""

    def write(self, text: str) -> int:
        return len(text)


def _print_table(backend: str, contacts: int, results: list[tuple[str, float, int, float, str]]) -> None:
    print(f"\nclients import, {contacts:,} contacts, {backend}")
    print(f"| {'step':<28} | {'seconds':>8} | {'rows/s':>10} | {'peak RSS MiB':>12} |")
    print(f"|{'-' * 30}|{'-' * 9}:|{'-' * 11}:|{'-' * 13}:|")
    for name, seconds, rows, rss, _summary in results:
        print(f"| {name:<28} | {seconds:>8.1f} | {rows / seconds:>10,.0f} | {rss:>12.0f} |")


if __name__ == "__main__":
    main()
