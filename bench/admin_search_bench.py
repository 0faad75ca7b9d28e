"""Admin console benchmark: how long the Clients and Departures pages' queries take with 1,000,000 contacts.

Fills a fresh database with bench.synthetic's directory (accounts of about a
hundred contacts each, 100,000 domains, 10,000 departures) plus one big
account of 100,000 contacts, 1,000,000 contacts in all, then times each query
the pages run, through the same service calls the views make (no HTTP): the
accounts list (first page and one deep in), the three searches (account name,
domain prefix, contact prefix), an account's contacts (first and a deep page)
for a typical and for the big account, and the departures list. Each is run
once to warm up, then REPEAT times; the median and the slowest run are printed.
PostgreSQL is vacuumed after the fill, as autovacuum would soon do.

Target: every page's queries in well under 100 ms, whatever page is asked for.

    .venv/bin/python -m bench.admin_search_bench [--contacts 1000000] [--database-url URL] [--reset]
    scripts/with-postgres.sh sh -c '.venv/bin/python -m bench.admin_search_bench --database-url "$TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from bench import synthetic
from server import tables
from server.model import Phase, normalise_address
from server.services import client_directory, register

BIG_ACCOUNT_CONTACTS = 100_000
REPEAT = 20


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="leaverguard-admin-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = synthetic.prepare(url, args.reset)
        sizes = synthetic.Sizes(contacts=args.contacts - BIG_ACCOUNT_CONTACTS, domains=100_000, departures=10_000)
        started = time.perf_counter()
        synthetic.fill(engine, sizes, datetime.now(UTC))
        _add_big_account(engine)
        _vacuum(engine)
        print(f"filled {synthetic.safe_url(url)} in {time.perf_counter() - started:.0f} s: {sizes.describe()}", end="")
        print(f" + {BIG_ACCOUNT_CONTACTS:,} contacts on one account", flush=True)
        results = [(name, _timed(step, args.repeat)) for name, step in _steps(engine, sizes)]
        engine.dispose()
    _print_table(engine.dialect.name, args.contacts, results)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts in all (default 1,000,000)")
    parser.add_argument("--database-url", default="", help="database to fill (default: a temporary SQLite file)")
    parser.add_argument("--reset", action="store_true", help="empty a database that has data first")
    parser.add_argument("--repeat", type=int, default=REPEAT, help=f"timed runs of each query (default {REPEAT})")
    return parser.parse_args(argv)


def _add_big_account(engine: Engine) -> None:
    """Account 1 (`Client 000000`) gets BIG_ACCOUNT_CONTACTS more contacts, as a large client would have."""
    rows = []
    for n in range(BIG_ACCOUNT_CONTACTS):
        address = normalise_address(f"bigcorp.person{n:06d}@{synthetic.domain_name(0)}")
        rows.append({"match_key": address.key, "email": address.email, "name": f"Big {n}", "account_id": 1})
    with engine.begin() as conn:
        synthetic.insert_rows(conn, tables.client_contacts, ({**row, "source": synthetic.SOURCE} for row in rows))


def _vacuum(engine: Engine) -> None:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum soon does after a load (index-only scans need the visibility map)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def _steps(engine: Engine, sizes: synthetic.Sizes) -> list[tuple[str, Callable[[], object]]]:
    now = datetime.now(UTC)
    deep_account = f"Client {sizes.accounts * 9 // 10:06d}"
    some_contact = synthetic.contact_email(4243, sizes)
    typical = 4243 % sizes.accounts + 1
    middle = normalise_address(f"bigcorp.person{BIG_ACCOUNT_CONTACTS // 2:06d}@{synthetic.domain_name(0)}").key

    def listing(**options):
        defaults = {"query": "", "section": None, "after": None, "before": None}
        return lambda: client_directory.listing(engine, **(defaults | options))

    def contacts(account_id: int, after: str | None):
        return lambda: client_directory.view(engine, account_id, domains_after=None, contacts_after=after)

    def leavers(**options):
        defaults = {"query": "", "phase": None, "after": None, "before": None, "now": now}
        return lambda: register.listing(engine, **(defaults | options))

    return [
        ("clients: first page of accounts", listing()),
        (f"clients: page after {deep_account!r}", listing(after=deep_account)),
        ("clients: previous page (keyset backwards)", listing(before=deep_account)),
        ("search 'client 0042' (all sections)", listing(query="client 0042")),
        ("search 'c00042' (domain prefix)", listing(query="c00042")),
        ("search 'p000424' (contact prefix)", listing(query="p000424")),
        (f"search {some_contact!r} (exact)", listing(query=some_contact)),
        ("search 'zz' (nothing found)", listing(query="zz")),
        ("account page, ~100 contacts", contacts(typical, None)),
        ("account page, 100,100 contacts: first", contacts(1, None)),
        ("account page, 100,100 contacts: middle", contacts(1, middle)),
        ("departures: first page", leavers()),
        ("departures: search 'leaver0421'", leavers(query="leaver0421")),
        ("departures: on notice, page 2", leavers(phase=Phase.NOTICE, after=synthetic.leaver_email(2000))),
    ]


def _timed(step: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, slowest) milliseconds of `repeat` runs after a warm-up run."""
    step()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), max(runs)


def _print_table(backend: str, contacts: int, results: list[tuple[str, tuple[float, float]]]) -> None:
    print(f"\nadmin pages, {contacts:,} contacts, {backend}: milliseconds per page's queries")
    print(f"| {'query':<48} | {'median':>8} | {'slowest':>8} |")
    print(f"|{'-' * 50}|{'-' * 9}:|{'-' * 9}:|")
    for name, (median, slowest) in results:
        print(f"| {name:<48} | {median:>8.2f} | {slowest:>8.2f} |")


if __name__ == "__main__":
    main()
