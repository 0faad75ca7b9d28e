"""Batched SQL for CSV imports and exports of the departures register.

Departures are upserted a batch at a time (six statements a batch; store.save_departure
is a batch of one), and the register is read back a batch at a time (three
queries a batch, not three a person).

SQLAlchemy Core only; every function takes a Connection and the caller owns the
transaction. Supports the SQLite and PostgreSQL dialects. Must not import Flask.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from . import tables as t
from .bulk_clients import dialect_insert
from .model import Address, Departure, DepartureStatus, normalise_address

# --- reading the register ---------------------------------------------------------


def existing_departure_keys(conn: Connection, keys: Sequence[str], chunk: int = 1000) -> set[str]:
    """Which of `keys` are the primary address key of a stored departure (asked in chunks)."""
    column, found = t.departures.c.match_key, set()
    for start in range(0, len(keys), chunk):
        found.update(conn.scalars(select(column).where(column.in_(keys[start : start + chunk]))))
    return found


def departures_by_key(conn: Connection, keys: Sequence[str]) -> dict[str, Departure]:
    """The stored departures whose primary address key is in `keys` (a batch), with aliases and personal addresses."""
    departures, addresses, private = t.departures, t.departure_addresses, t.departure_personal_addresses
    rows = conn.execute(select(departures).where(departures.c.match_key.in_(keys))).mappings().all()
    ids = [row["id"] for row in rows]
    aliases, personal = defaultdict(list), defaultdict(list)
    alias_rows = select(addresses.c.departure_id, addresses.c.email).where(
        addresses.c.departure_id.in_(ids), addresses.c.is_primary.is_(False)
    )
    for departure_id, email in conn.execute(alias_rows.order_by(addresses.c.email)):
        aliases[departure_id].append(email)
    personal_rows = select(private.c.departure_id, private.c.email).where(private.c.departure_id.in_(ids))
    for departure_id, email in conn.execute(personal_rows.order_by(private.c.email)):
        personal[departure_id].append(email)
    return {row["match_key"]: departure_from_row(row, aliases[row["id"]], personal[row["id"]]) for row in rows}


def departure_batches(conn: Connection, size: int = 1000) -> Iterator[list[Departure]]:
    """The whole register by primary address, `size` people at a time (three queries a batch, not three a person)."""
    keys = conn.scalars(select(t.departures.c.match_key).order_by(t.departures.c.email, t.departures.c.match_key)).all()
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        found = departures_by_key(conn, chunk)
        yield [found[key] for key in chunk]


def departure_from_row(row, aliases: list[str], personal: list[str]) -> Departure:
    """A Departure from a `departures` row and its other addresses (the one place that maps them)."""
    return Departure(
        id=row["id"],
        email=row["email"],
        notice_date=row["notice_date"],
        last_working_date=row["last_working_date"],
        garden_leave_date=row["garden_leave_date"],
        successor=row["successor_email"],
        aliases=tuple(aliases),
        personal_addresses=tuple(personal),
        status=DepartureStatus(row["status"]),
        source=row["source"],
        object_id=row["object_id"],
        tenant_id=row["tenant_id"],
    )


# --- upserts ---------------------------------------------------------------------

_DEPARTURE_UPDATES = (
    "email",
    "notice_date",
    "last_working_date",
    "garden_leave_date",
    "successor_email",
    "status",
    "source",
    "updated_at",
)
_ACCOUNT_COLUMNS = ("object_id", "tenant_id")


def upsert_departures(conn: Connection, departures: Sequence[Departure], now: datetime) -> dict[str, int]:
    """Insert or update departures by primary address, replacing their aliases and personal addresses.

    Six statements a batch. An alias someone else had moves to this person. The
    batch must not give one address to two people (the CSV checks see to that).
    Returns the departures' ids by primary address key.
    """
    people = [(normalise_address(d.email).key, d) for d in departures]
    ids = _upsert_departure_rows(conn, people, now)
    sends_as = [
        (ids[key], address, i == 0) for key, d in people for i, address in enumerate(_by_key([d.email, *d.aliases]))
    ]
    personal = [(ids[key], address) for key, d in people for address in _by_key(d.personal_addresses)]
    _replace_addresses(conn, list(ids.values()), sends_as, personal)
    return ids


def _upsert_departure_rows(conn: Connection, people: list[tuple[str, Departure]], now: datetime) -> dict[str, int]:
    """Upsert the departures rows of (primary key, departure) pairs; their ids by primary key."""
    departures = t.departures
    statement = dialect_insert(conn, departures)
    updates = {name: statement.excluded[name] for name in _DEPARTURE_UPDATES}
    # A record written without a directory account (a console edit, a CSV line) keeps the one a sync found.
    updates |= {name: func.coalesce(statement.excluded[name], departures.c[name]) for name in _ACCOUNT_COLUMNS}
    conn.execute(
        statement.on_conflict_do_update(index_elements=[departures.c.match_key], set_=updates),
        [_departure_values(key, d, now) for key, d in people],
    )
    keys = [key for key, _ in people]
    return dict(
        conn.execute(select(departures.c.match_key, departures.c.id).where(departures.c.match_key.in_(keys))).all()
    )


def _departure_values(key: str, departure: Departure, now: datetime) -> dict:
    return {
        "email": departure.email,
        "match_key": key,
        "notice_date": departure.notice_date,
        "last_working_date": departure.last_working_date,
        "garden_leave_date": departure.garden_leave_date,
        "successor_email": departure.successor,
        "status": departure.status.value,
        "source": departure.source,
        "updated_at": now,
        "object_id": departure.object_id,
        "tenant_id": departure.tenant_id,
    }


def _by_key(emails: Iterable[str]) -> list[Address]:
    """Parsed addresses, the first spelling of each key only."""
    seen: dict[str, Address] = {}
    for email in emails:
        address = normalise_address(email)
        seen.setdefault(address.key, address)
    return list(seen.values())


def _replace_addresses(conn: Connection, ids: list[int], sends_as: list, personal: list) -> None:
    addresses, private = t.departure_addresses, t.departure_personal_addresses
    conn.execute(delete(addresses).where(addresses.c.departure_id.in_(ids)))
    conn.execute(delete(private).where(private.c.departure_id.in_(ids)))
    # An address someone else sent as moves to the person in this batch (the newest record wins).
    conn.execute(delete(addresses).where(addresses.c.match_key.in_([a.key for _, a, _ in sends_as])))
    conn.execute(
        insert(addresses),
        [{"match_key": a.key, "email": a.email, "departure_id": i, "is_primary": p} for i, a, p in sends_as],
    )
    if personal:
        conn.execute(insert(private), [{"match_key": a.key, "email": a.email, "departure_id": i} for i, a in personal])
