"""The synthetic directory the send-time check benchmark runs against.

Holds the sizes, the names and addresses of clients, leavers, colleagues and
recipients (each a pure function of its number, so any process can rebuild
them), the fill of an empty database with them, and `prepare` (migrate, and
empty with --reset). Knows nothing of timing, HTTP or the report.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy
from sqlalchemy import Connection, Engine, delete, insert, make_url, text

from server import db, store
from server import tables as t
from server.model import PolicySettings, normalise_address

COMPANY = "northwind.example"
SOURCE = "bench"
STAFF = 5_000  # colleagues who are not leaving: staff00000@ … staff04999@
OWNERS = 400  # account owners: owner000@ … owner399@
BATCH = 20_000
LEAVER, NON_LEAVER = "leaver on notice", "non-leaver"  # the two kinds of sender
# Departure i is in phase PHASES[i % 10]: half on notice, the rest spread over the others.
PHASES = ("notice",) * 5 + ("garden_leave", "garden_leave", "departed", "withdrawn", "before_notice")
WEBMAIL = ("gmail.com", "outlook.com", "yahoo.com", "mail.ru", "gmx.de", "yandex.ru")
SUBDOMAINS = ("mail", "eu", "uk.sales", "ops")
ROLES = ("info", "accounts", "j.smith", "procurement", "legal")
# Per 20 recipients: what a busy leaver's mail looks like.
MIX = ("contact",) * 6 + ("subdomain",) * 3 + ("client_domain",) + ("webmail",) * 3 + ("external",) * 3
MIX += ("internal",) * 4
WEBMAIL_SLOT, INTERNAL_SLOT = MIX.index("webmail"), len(MIX) - 1


# --- names and addresses -------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    contacts: int
    domains: int
    departures: int

    @property
    def accounts(self) -> int:
        return max(1, self.domains // 10)

    def describe(self) -> str:
        return (
            f"{self.contacts:,} contacts · {self.domains:,} domains · {self.accounts:,} accounts · "
            f"{self.departures:,} departures"
        )


def domain_name(j: int) -> str:
    """Client domain `j`; it belongs to account j % accounts."""
    return f"c{j:06d}.example"


def contact_email(c: int, sizes: Sizes) -> str:
    """Contact `c`, of account c % accounts, on one of its domains; every 25th is on webmail (gmail)."""
    if c % 25 == 0:
        return f"client.person{c}@gmail.com"
    account = c % sizes.accounts
    per_account = max(1, sizes.domains // sizes.accounts)
    return f"p{c:07d}@{domain_name(account + sizes.accounts * ((c // sizes.accounts) % per_account))}"


def leaver_email(i: int) -> str:
    return f"leaver{i:05d}@{COMPANY}"


def staff_email(k: int) -> str:
    return f"staff{k:05d}@{COMPANY}"


TENANT = "7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b"  # the Entra ID tenant of every synthetic account


def leaver_object_id(i: int) -> str:
    """The Entra ID object id the sync recorded for departure `i` (and the `oid` of her tokens)."""
    return f"{i:08x}-0000-4000-8000-000000000001"


def staff_object_id(k: int) -> str:
    """A colleague's object id: in no departure record."""
    return f"{k:08x}-0000-4000-8000-000000000002"


def personal_email(i: int) -> str | None:
    """Every second leaver has a personal address on record."""
    return f"leaver.{i:05d}@gmail.com" if i % 2 == 0 else None


def on_notice(sizes: Sizes) -> list[int]:
    return [i for i in range(sizes.departures) if PHASES[i % 10] == "notice"]


def departure_dates(i: int, today: date) -> tuple[date, date, date | None]:
    """(notice, last working day, garden leave) that put departure `i` in phase PHASES[i % 10] today."""
    day, phase = timedelta(days=1), PHASES[i % 10]
    notice, last = today - (5 + i % 20) * day, today + (10 + i % 30) * day
    if phase == "garden_leave":
        return notice, last, today - (1 + i % 5) * day
    if phase == "departed":
        return today - 60 * day, today - (1 + i % 30) * day, None
    if phase == "before_notice":
        return today + (1 + i % 10) * day, last + 30 * day, None
    return notice, last, None


def recipient(rng: random.Random, sizes: Sizes, category: str) -> str:
    domain = domain_name(rng.randrange(sizes.domains))
    return {
        "contact": lambda: contact_email(rng.randrange(sizes.contacts), sizes),
        "subdomain": lambda: f"{rng.choice(ROLES)}@{rng.choice(SUBDOMAINS)}.{domain}",
        "client_domain": lambda: f"new.person{rng.randrange(10**6)}@{domain}",
        "webmail": lambda: f"friend{rng.randrange(10**6)}@{rng.choice(WEBMAIL)}",
        "external": lambda: f"sales@{rng.choice(('', 'mail.', 'eu.'))}vendor{rng.randrange(10**5)}.test",
        "internal": lambda: staff_email(rng.randrange(STAFF)),
    }[category]()


def recipients_for(rng: random.Random, sizes: Sizes, count: int, leaver: int | None) -> list[str]:
    """`count` recipients in the MIX proportions; a leaver sometimes copies the successor or writes home."""
    addresses = [recipient(rng, sizes, MIX[k % len(MIX)]) for k in range(count)]
    if leaver is not None and count > INTERNAL_SLOT and rng.random() < 1 / 3:
        addresses[INTERNAL_SLOT] = staff_email(leaver % STAFF)  # their successor
    if leaver is not None and personal_email(leaver) and count > WEBMAIL_SLOT and rng.random() < 0.2:
        addresses[WEBMAIL_SLOT] = personal_email(leaver)  # their own private address
    rng.shuffle(addresses)
    return addresses


# --- filling the database ------------------------------------------------------


def batches(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def insert_rows(conn: Connection, table: sqlalchemy.Table, rows: Iterable[dict]) -> None:
    """Core executemany in large batches."""
    for batch in batches(rows):
        conn.execute(insert(table), batch)


def fill_settings(conn: Connection, sizes: Sizes, now: datetime) -> None:
    store.set_internal_domains(conn, [COMPANY], now)
    store.save_settings(conn, PolicySettings(), now)


def fill_accounts(conn: Connection, sizes: Sizes, now: datetime) -> None:
    rows = (
        {"id": a + 1, "name": f"Client {a:06d}", "owner_email": f"owner{a % OWNERS:03d}@{COMPANY}"}
        | {"source": SOURCE, "updated_at": now}
        for a in range(sizes.accounts)
    )
    insert_rows(conn, t.client_accounts, rows)


def fill_domains(conn: Connection, sizes: Sizes, now: datetime) -> None:
    rows = (
        {"domain": domain_name(j), "account_id": j % sizes.accounts + 1, "source": SOURCE} for j in range(sizes.domains)
    )
    insert_rows(conn, t.client_domains, rows)


def contact_rows(bounds: tuple[int, int], sizes: Sizes) -> list[dict]:
    """Rows for contacts start..stop-1 (run in pool workers, so generating overlaps inserting)."""
    rows = []
    for c in range(*bounds):
        address = normalise_address(contact_email(c, sizes))
        rows.append(
            {"match_key": address.key, "email": address.email, "name": f"Contact {c}"}
            | {"account_id": c % sizes.accounts + 1, "source": SOURCE}
        )
    return rows


def fill_contacts(conn: Connection, sizes: Sizes, now: datetime, pool: Any) -> None:
    chunks = [(start, min(start + BATCH, sizes.contacts)) for start in range(0, sizes.contacts, BATCH)]
    for rows in pool.imap(partial(contact_rows, sizes=sizes), chunks):
        conn.execute(insert(t.client_contacts), rows)


def departure_row(i: int, today: date, now: datetime) -> dict:
    notice, last, garden = departure_dates(i, today)
    email = leaver_email(i)
    return {
        "id": i + 1,
        "email": email,
        "match_key": normalise_address(email).key,
        "notice_date": notice,
        "last_working_date": last,
        "garden_leave_date": garden,
        "successor_email": staff_email(i % STAFF),
        "status": "withdrawn" if PHASES[i % 10] == "withdrawn" else "active",
        "source": SOURCE,
        "updated_at": now,
        "object_id": leaver_object_id(i),
        "tenant_id": TENANT,
    }


def address_rows(i: int) -> tuple[list[dict], list[dict]]:
    """(sends-as rows: primary and, for every third leaver, an alias; personal address rows)."""
    sends_as = [leaver_email(i)] + ([f"l{i:05d}.alias@{COMPANY}"] if i % 3 == 0 else [])
    addresses = [normalise_address(e) for e in sends_as]
    rows = [
        {"match_key": a.key, "email": a.email, "departure_id": i + 1, "is_primary": n == 0}
        for n, a in enumerate(addresses)
    ]
    personal = personal_email(i)
    if personal is None:
        return rows, []
    address = normalise_address(personal)
    return rows, [{"departure_id": i + 1, "match_key": address.key, "email": address.email}]


def fill_departures(conn: Connection, sizes: Sizes, now: datetime) -> None:
    insert_rows(conn, t.departures, (departure_row(i, now.date(), now) for i in range(sizes.departures)))
    pairs = [address_rows(i) for i in range(sizes.departures)]
    insert_rows(conn, t.departure_addresses, (row for sends_as, _ in pairs for row in sends_as))
    insert_rows(conn, t.departure_personal_addresses, (row for _, personal in pairs for row in personal))


def after_fill(engine: Engine) -> None:
    """PostgreSQL: move the id sequences past the explicit ids, and ANALYZE as autovacuum soon would."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("client_accounts", "departures"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def fill_steps(pool: Any) -> dict[str, Callable[[Connection, Sizes, datetime], None]]:
    return {
        "settings": fill_settings,
        "accounts": fill_accounts,
        "domains": fill_domains,
        "contacts": partial(fill_contacts, pool=pool),
        "departures": fill_departures,
    }


def fill(engine: Engine, sizes: Sizes, now: datetime) -> dict[str, float]:
    """Fill every table, one transaction per table; seconds per step."""
    seconds = {}
    engine.dispose()  # the pool's processes are forked: they must not inherit open connections
    with multiprocessing.Pool(os.cpu_count()) as pool:
        for name, step in fill_steps(pool).items():
            started = time.perf_counter()
            with engine.begin() as conn:
                step(conn, sizes, now)
            seconds[name] = time.perf_counter() - started
    started = time.perf_counter()
    after_fill(engine)
    seconds["after"] = time.perf_counter() - started
    return seconds


def prepare(url: str, reset: bool) -> Engine:
    """A migrated, empty database at `url` (emptied first with --reset)."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.begin() as conn:
        if not store.is_empty(conn):
            if not reset:
                raise SystemExit(f"{safe_url(url)} is not empty; pass --reset to delete every row first")
            for table in reversed(t.metadata.sorted_tables):
                conn.execute(delete(table))
    return engine


def safe_url(url: str) -> str:
    """`url` with any password hidden, fit to print."""
    return make_url(url).render_as_string(hide_password=True)
